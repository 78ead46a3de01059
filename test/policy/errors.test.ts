import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { POLICY_ERROR_CODES, PolicyError, PolicyLoadError } from '../../src/policy/index.js';

const SRC = new URL('../../src/policy/', import.meta.url).pathname;

t.test('every policy error code has a status and is raised somewhere; nothing else is raised', async (t) => {
  const source = readdirSync(SRC)
    .filter((f) => f.endsWith('.ts') && f !== 'errors.ts')
    .map((f) => readFileSync(join(SRC, f), 'utf8'))
    .join('\n');
  for (const [code, status] of Object.entries(POLICY_ERROR_CODES)) {
    t.ok(status >= 400 && status < 600, `${code} maps to an HTTP error status`);
    if (code !== 'DG_ERR_POLICY_LOAD') t.match(source, `'${code}'`, `${code} is used`);
  }
  const used = [...source.matchAll(/'(DG_ERR_POLICY_[A-Z_]+)'/g)].map((m) => m[1]!);
  for (const code of used) t.ok(code in POLICY_ERROR_CODES, `${code} is in the catalogue`);
});

t.test('error values', async (t) => {
  const e = new PolicyError('DG_ERR_POLICY_UNKNOWN_RELYING_PARTY', 'no relying party "x"', 'relyingParty');
  t.same([e.code, e.statusCode, e.field, e.name], ['DG_ERR_POLICY_UNKNOWN_RELYING_PARTY', 404, 'relyingParty', 'PolicyError']);
  const l = new PolicyLoadError(['a.rules:1:2: error X: one', 'b.json: two']);
  t.same([l.code, l.statusCode, l.message], ['DG_ERR_POLICY_LOAD', 500, 'rules could not be loaded: a.rules:1:2: error X: one (and 1 more)']);
});
