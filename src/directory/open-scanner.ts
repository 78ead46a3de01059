import type { DirectoryScanner } from './directory-scanner.js';
import { DirectoryError } from './errors.js';
import { LdapScanner } from './ldap-scanner.js';
import { openLdifScanner } from './ldif-scanner.js';
import { ldapConnectionSettings, type DirectoryOptions } from './open-directory.js';

/** A scanner over the directory a URL names (the same `--directory` forms as openDirectory). */
export async function openScanner(options: DirectoryOptions): Promise<DirectoryScanner> {
  const url = options.url.trim();
  if (url.toLowerCase().startsWith('ldif:')) {
    const path = url.slice(5);
    if (path === '') throw new DirectoryError('DG_ERR_DIRECTORY_CONFIG', 'ldif: needs a file path, e.g. ldif:fixtures/contoso.ldif', 'url');
    return openLdifScanner(path, options.cwd);
  }
  return new LdapScanner(await ldapConnectionSettings(options));
}
