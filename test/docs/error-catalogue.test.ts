import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ADFS_STORE_ERROR_CODES } from '../../src/adfs-store/index.js';
import { CERTIFICATE_ERROR_CODES } from '../../src/certificate/index.js';
import { CLI_ERROR_CODES } from '../../src/cli/errors.js';
import { DIRECTORY_ERROR_CODES } from '../../src/directory/index.js';
import { LOADTEST_ERROR_CODES } from '../../src/loadtest/index.js';
import { DIAGNOSTIC_CODES, LANGUAGE_ERROR_CODES } from '../../src/language/index.js';
import { POLICY_ERROR_CODES } from '../../src/policy/index.js';
import { SAML_ERROR_CODES } from '../../src/saml/index.js';
import { SERVER_ERRORS } from '../../src/server/index.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/errors.md', import.meta.url)), 'utf8');

/** code -> HTTP status as the page states it ("" for diagnostics, which have none). */
const documented = new Map<string, string>();
for (const line of doc.split('\n')) {
  const row = /^\| `(DG_[A-Z_0-9]+)` \|(?: (\d{3}) \|)?/.exec(line);
  if (row) documented.set(row[1]!, row[2] ?? '');
}

const statusCatalogue: Record<string, number> = {
  ...ADFS_STORE_ERROR_CODES,
  ...CERTIFICATE_ERROR_CODES,
  ...CLI_ERROR_CODES,
  ...DIRECTORY_ERROR_CODES,
  ...LANGUAGE_ERROR_CODES,
  ...POLICY_ERROR_CODES,
  ...SAML_ERROR_CODES,
  ...LOADTEST_ERROR_CODES,
  ...Object.fromEntries(Object.entries(SERVER_ERRORS).map(([code, e]) => [code, e.statusCode])),
};

t.test('every error code is documented with its HTTP status', async (t) => {
  for (const [code, status] of Object.entries(statusCatalogue)) {
    t.equal(documented.get(code), String(status), `${code} in docs/errors.md with status ${status}`);
  }
});

t.test('every rule diagnostic code is documented', async (t) => {
  for (const code of Object.keys(DIAGNOSTIC_CODES)) t.ok(documented.has(code), `${code} in docs/errors.md`);
});

t.test('the page names no code that no longer exists', async (t) => {
  const known = new Set([...Object.keys(statusCatalogue), ...Object.keys(DIAGNOSTIC_CODES)]);
  t.ok(documented.size > 0, 'the page has code rows');
  for (const code of documented.keys()) t.ok(known.has(code), `${code} exists in a catalogue`);
});
