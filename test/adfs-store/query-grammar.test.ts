import t from 'tap';
import { AdfsStoreError, bindArguments, parseStoreQuery, QUERY_LIMITS } from '../../src/adfs-store/index.js';

function failure(query: string): AdfsStoreError {
  try {
    parseStoreQuery(query);
  } catch (error) {
    if (error instanceof AdfsStoreError) return error;
    throw error;
  }
  throw new Error(`"${query}" parsed`);
}

t.test('well-formed queries', async (t) => {
  t.same(parseStoreQuery('device;iscompliant,trusttype;{0}'), {
    verb: 'device',
    columns: ['iscompliant', 'trusttype'],
    args: [{ kind: 'placeholder', index: 0, position: 29 }],
  });
  const d = parseStoreQuery(' Decision ; Decision , Reason ; https://payroll.contoso.com/ ; {0} ; {1} ');
  t.equal(d.verb, 'decision');
  t.same(d.columns, ['decision', 'reason'], 'names are case-insensitive, reported lower case');
  t.same(d.args[0], { kind: 'literal', value: 'https://payroll.contoso.com/', position: 32 });
  t.same(d.args.slice(1).map((a) => (a.kind === 'placeholder' ? a.index : -1)), [0, 1]);
  t.same(parseStoreQuery('device;isregistereduser,isknown;{1};{0}').args.length, 2);
  t.same(parseStoreQuery('decision;decision;https://intranet.contoso.com/;;{0}').args[1], { kind: 'literal', value: '', position: 48 }, 'an empty argument is an empty literal');
});

t.test('malformed queries: code and position of the first problem', async (t) => {
  const cases: [string, string, number][] = [
    ['', 'DG_ERR_ADFS_QUERY_SYNTAX', 0],
    ['   ;isknown;{0}', 'DG_ERR_ADFS_QUERY_SYNTAX', 0],
    ['devices;isknown;{0}', 'DG_ERR_ADFS_QUERY_VERB', 0],
    ['  ldap;isknown;{0}', 'DG_ERR_ADFS_QUERY_VERB', 2],
    ['de vice;isknown;{0}', 'DG_ERR_ADFS_QUERY_SYNTAX', 0],
    ['device', 'DG_ERR_ADFS_QUERY_SYNTAX', 6],
    ['device;;{0}', 'DG_ERR_ADFS_QUERY_SYNTAX', 7],
    ['device;isknown,,trusttype;{0}', 'DG_ERR_ADFS_QUERY_SYNTAX', 15],
    ['device;isknown,colour;{0}', 'DG_ERR_ADFS_QUERY_COLUMN', 15],
    ['device;isknown,ISKNOWN;{0}', 'DG_ERR_ADFS_QUERY_COLUMN', 15],
    ['device;decision;{0}', 'DG_ERR_ADFS_QUERY_COLUMN', 7],
    ['device;isknown', 'DG_ERR_ADFS_QUERY_ARITY', 14],
    ['device;isknown;{0};{1};{2}', 'DG_ERR_ADFS_QUERY_ARITY', 23],
    ['decision;decision;{0};{1}', 'DG_ERR_ADFS_QUERY_ARITY', 25],
    ['device;isregistereduser;{0}', 'DG_ERR_ADFS_QUERY_ARITY', 7],
    ['device;isknown;{0', 'DG_ERR_ADFS_QUERY_SYNTAX', 15],
    ['device;isknown;x{0}', 'DG_ERR_ADFS_QUERY_SYNTAX', 16],
    ['device;isknown;{a}', 'DG_ERR_ADFS_QUERY_SYNTAX', 15],
    ['device;isknown;{123}', 'DG_ERR_ADFS_QUERY_SYNTAX', 15],
    ['device;isknown;{16}', 'DG_ERR_ADFS_QUERY_LIMIT', 15],
    ['device;isknown;}', 'DG_ERR_ADFS_QUERY_SYNTAX', 15],
    [`device;isknown;${'x'.repeat(QUERY_LIMITS.maxQueryLength)}`, 'DG_ERR_ADFS_QUERY_LIMIT', QUERY_LIMITS.maxQueryLength],
    [`decision;decision;a;b;c;d;e;f;g;h;i`, 'DG_ERR_ADFS_QUERY_LIMIT', 34],
  ];
  for (const [query, code, position] of cases) {
    const e = failure(query);
    t.equal(e.code, code, `${JSON.stringify(query.slice(0, 40))}: ${code}`);
    t.equal(e.position, position, `${JSON.stringify(query.slice(0, 40))}: position ${position} (${e.message})`);
    t.equal(e.statusCode, 400);
    t.equal(e.field, 'query');
  }
  const many = `device;${Array.from({ length: QUERY_LIMITS.maxColumns + 1 }, (_, i) => (i === 0 ? 'isknown' : `c${i}`)).join(',')};{0}`;
  t.equal(failure(many).code, 'DG_ERR_ADFS_QUERY_COLUMN', 'unknown columns are named before the count limit');
});

t.test('binding: parameters are whole values, never query text', async (t) => {
  const parsed = parseStoreQuery('decision;decision,reason;{2};{0};{1}');
  const hostile = ['a;b;{1}', '{0}', '};device;isknown;{0}'];
  t.same(bindArguments(parsed, hostile), ['};device;isknown;{0}', 'a;b;{1}', '{0}'], 'each slot gets its parameter verbatim');
  t.same(parsed, parseStoreQuery('decision;decision,reason;{2};{0};{1}'), 'binding does not change the parsed query');
  t.same(bindArguments(parseStoreQuery('decision;decision;urn:rp;{0};{0}'), ['x', 'unused']), ['urn:rp', 'x', 'x'], 'a parameter may be used twice; extras are ignored');

  const missing = (() => {
    try {
      bindArguments(parseStoreQuery('device;isknown;{3}'), ['a', 'b']);
    } catch (error) {
      return error as AdfsStoreError;
    }
    return undefined;
  })();
  t.equal(missing?.code, 'DG_ERR_ADFS_QUERY_PARAMETER');
  t.equal(missing?.position, 15);
  const tooMany = Array.from({ length: QUERY_LIMITS.maxParams + 1 }, () => 'x');
  t.throws(() => bindArguments(parsed, tooMany), { code: 'DG_ERR_ADFS_QUERY_LIMIT', field: 'params' });
  t.throws(() => bindArguments(parsed, ['a', 'b', 'x'.repeat(QUERY_LIMITS.maxParamLength + 1)]), { code: 'DG_ERR_ADFS_QUERY_LIMIT', field: 'params.2' });
});
