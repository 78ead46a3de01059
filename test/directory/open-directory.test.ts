import { readFileSync } from 'node:fs';
import t from 'tap';
import { DEFAULT_DIRECTORY_URL, DIRECTORY_ERROR_CODES, DirectoryError, directoryOptionsFromEnv, openDirectory, parseLdapUrls } from '../../src/directory/index.js';

t.test('configuration errors are DG_ERR_DIRECTORY_CONFIG (400) naming the field', async (t) => {
  const cases: [Parameters<typeof openDirectory>[0], string, RegExp][] = [
    [{ url: 'http://dc1' }, 'url', /must be ldif:PATH, ldap:\/\/host or ldaps:\/\/host/],
    [{ url: 'ldif:' }, 'url', /needs a file path/],
    [{ url: 'ldap://' }, 'url', /not a valid|no host/],
    [{ url: 'ldap://user:secret@dc1' }, 'url', /credentials/],
    [{ url: 'ldap://dc1/DC=contoso,DC=com' }, 'url', /--base-dn/],
    [{ url: 'ldap://dc1,http://dc2' }, 'url', /ldap:\/\/ or ldaps:\/\//],
    [{ url: 'ldap://dc1', bindDn: 'CN=svc' }, 'password', /no password for CN=svc/],
    [{ url: 'ldap://dc1', password: 'x' }, 'bindDn', /needs --bind-dn/],
    [{ url: 'ldap://dc1', timeoutMs: 0 }, 'timeoutMs', /positive/],
    [{ url: 'ldap://dc1', poolSize: 0 }, 'poolSize', /1 to 64/],
    [{ url: 'ldaps://dc1', startTls: true }, 'startTls', /already TLS/],
    [{ url: 'ldap://dc1', caFile: 'ca.pem' }, 'caFile', /needs ldaps/],
    [{ url: 'ldaps://dc1', caFile: 'no/such/ca.pem' }, 'caFile', /no\/such\/ca\.pem: cannot read/],
  ];
  for (const [options, field, message] of cases) {
    await t.rejects(openDirectory(options), { name: 'DirectoryError', code: 'DG_ERR_DIRECTORY_CONFIG', statusCode: 400, field, message }, JSON.stringify(options));
  }
  const secret = 'S3cret-in-url';
  const error = await openDirectory({ url: `ldap://svc:${secret}@dc1` }).catch((e: unknown) => e);
  t.notOk(String((error as Error).message).includes(secret), 'a password in the URL is not echoed');
});

t.test('URL forms', async (t) => {
  t.same(parseLdapUrls('ldap://dc1, ldaps://dc2:3269 ,LDAP://DC3:389'), ['ldap://dc1', 'ldaps://dc2:3269', 'ldap://DC3:389']);
  t.equal(DEFAULT_DIRECTORY_URL, 'ldif:fixtures/contoso.ldif');
  const dir = await openDirectory({ url: 'ldap://127.0.0.1:1,ldap://127.0.0.1:2' });
  t.equal(dir.backend, 'ldap');
  t.match(dir.description, /^ldap:\/\/127\.0\.0\.1:1,ldap:\/\/127\.0\.0\.1:2 base/);
  await dir.close();
  const ldif = await openDirectory({ url: DEFAULT_DIRECTORY_URL, cwd: new URL('../../', import.meta.url).pathname });
  t.equal(ldif.backend, 'ldif');
  t.equal((await ldif.health()).ok, true);
  await ldif.close();
});

t.test('credentials from the environment', async (t) => {
  t.same(directoryOptionsFromEnv({ DEVICEGATE_LDAP_BIND_DN: 'CN=svc', DEVICEGATE_LDAP_PASSWORD: 'pw' }), { bindDn: 'CN=svc', password: 'pw' });
  t.same(directoryOptionsFromEnv({ DEVICEGATE_LDAP_PASSWORD: '' }), {});
  t.same(directoryOptionsFromEnv({}), {});
});

t.test('every error code has a status and a doc comment', async (t) => {
  const source = readFileSync(new URL('../../src/directory/errors.ts', import.meta.url), 'utf8');
  for (const [code, status] of Object.entries(DIRECTORY_ERROR_CODES)) {
    t.ok(status >= 400 && status < 600, `${code} -> ${status}`);
    t.match(source, new RegExp(`/\\*\\*[^*]*\\*/\\s*${code}:`), `${code} documented`);
    const e = new DirectoryError(code as keyof typeof DIRECTORY_ERROR_CODES, 'x');
    t.equal(e.statusCode, status);
  }
});
