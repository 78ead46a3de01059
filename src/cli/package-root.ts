import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The package folder (where package.json, rules/ and fixtures/ live), the same from src/cli (tsx) and
 * dist/cli (built): defaults resolve against it, so an installed `devicegate` works from any directory.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let version: string | undefined;

/** The version in package.json (read once, on demand). */
export function packageVersion(): string {
  if (version === undefined) {
    try {
      const parsed = JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version?: unknown };
      version = typeof parsed.version === 'string' ? parsed.version : 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

/** The sample directory and rules that ship with the package: the defaults of every command. */
export const DEFAULT_DIRECTORY = `ldif:${PACKAGE_ROOT}fixtures/contoso.ldif`;
export const DEFAULT_RULES_DIR = `${PACKAGE_ROOT}rules`;
