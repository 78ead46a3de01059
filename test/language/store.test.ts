import t from 'tap';
import { compileRuleSet, LanguageError, type AttributeStore } from '../../src/language/index.js';
import { claim } from './helpers.js';

/**
 * A real in-memory attribute store: `{n}` substitution like String.Format, a query of the form
 * "<key>={0};<attr1>,<attr2>" over a small user table; result[i] = values of attr i.
 */
class TableStore implements AttributeStore {
  readonly calls: { query: string; params: readonly string[]; types: readonly string[] }[] = [];
  constructor(private readonly rows: Record<string, Record<string, string[]>>) {}
  async query(query: string, params: readonly string[], types: readonly string[]): Promise<readonly (readonly string[])[]> {
    this.calls.push({ query, params, types });
    const text = query.replace(/\{(\d+)\}/g, (_m, n: string) => {
      const p = params[Number(n)];
      if (p === undefined) throw new Error(`query needs parameter {${n}}`);
      return p;
    });
    const [filter = '', attrs = ''] = text.split(';');
    const [, key = ''] = filter.split('=');
    const row = this.rows[key] ?? {};
    return attrs.split(',').slice(0, types.length).map((a) => row[a] ?? []);
  }
}

const users = { bob: { mail: ['bob@contoso.com'], memberOf: ['g1', 'g2'] }, eve: { mail: ['eve@contoso.com'], memberOf: [] } };
const RULES = `c:[Type == "name"]
 => issue(store = "Active Directory", types = ("mail", "group"), query = "sAMAccountName={0};mail,memberOf", param = RegexReplace(c.Value, "^.*\\\\", ""));
c:[Type == "group", Value == "g2"] => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");`;

t.test('store issuance: one call per tuple, one claim per returned value, feeds later rules', async (t) => {
  const { ruleSet, diagnostics } = compileRuleSet(RULES);
  t.same(diagnostics, []);
  t.ok(ruleSet!.usesStores);
  t.same(ruleSet!.storesUsed, ['Active Directory']);
  const store = new TableStore(users);
  const r = await ruleSet!.evaluateAsync([claim('name', 'CONTOSO\\bob'), claim('name', 'CONTOSO\\eve')], { stores: { 'Active Directory': store }, trace: true });
  t.same(store.calls.map((c) => c.params), [['bob'], ['eve']]);
  t.same(store.calls[0]!.types, ['mail', 'group']);
  t.same(r.output.map((c) => `${c.type}=${c.value}`), ['mail=bob@contoso.com', 'group=g1', 'group=g2', 'mail=eve@contoso.com', 'http://schemas.microsoft.com/authorization/claims/permit=true']);
  t.same(r.producedBy, [0, 0, 0, 0, 1]);
  t.equal(r.output[0]!.issuer, 'LOCAL AUTHORITY');
  t.equal(r.trace?.[0]?.fired, true);
});

t.test('store rule with no matching tuple makes no call', async (t) => {
  const { ruleSet } = compileRuleSet(RULES);
  const store = new TableStore(users);
  const r = await ruleSet!.evaluateAsync([claim('other', 'x')], { stores: { 'active directory': store } });
  t.equal(store.calls.length, 0);
  t.same(r.output, []);
});

t.test('store with no params (conditionless rule) and add', async (t) => {
  const { ruleSet } = compileRuleSet('=> add(store = "S", types = ("mail"), query = "x=bob;mail");\nc:[Type == "mail"] => issue(claim = c);');
  const store = new TableStore({ bob: users.bob });
  const r = await ruleSet!.evaluateAsync([], { stores: { S: store } });
  t.same(store.calls[0]!.params, []);
  t.same(r.output.map((c) => c.value), ['bob@contoso.com']);
});

t.test('evaluate() refuses a rule set that uses stores', (t) => {
  const { ruleSet } = compileRuleSet(RULES);
  t.throws(() => ruleSet!.evaluate([]), { code: 'DG_ERR_LANGUAGE_ASYNC_REQUIRED' });
  t.end();
});

const failures: [string, Record<string, AttributeStore> | undefined, string][] = [
  ['missing store', undefined, 'DG_ERR_LANGUAGE_UNKNOWN_STORE'],
  ['other store only', { SQL: new TableStore({}) }, 'DG_ERR_LANGUAGE_UNKNOWN_STORE'],
  ['store throws', { 'Active Directory': { query: async () => { throw Object.assign(new Error('ldap://dc1 password=secret'), { code: 'ECONNREFUSED' }); } } }, 'DG_ERR_LANGUAGE_STORE_FAILED'],
  ['store returns junk', { 'Active Directory': { query: async () => [[1, 2]] as unknown as string[][] } }, 'DG_ERR_LANGUAGE_STORE_RESULT'],
  ['store returns too many columns', { 'Active Directory': { query: async () => [['a'], ['b'], ['c']] } }, 'DG_ERR_LANGUAGE_STORE_RESULT'],
];
for (const [name, stores, code] of failures) {
  t.test(`store failure: ${name}`, async (t) => {
    const { ruleSet } = compileRuleSet(RULES);
    const err = await ruleSet!.evaluateAsync([claim('name', 'D\\bob')], stores ? { stores } : {}).then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof LanguageError);
    t.equal((err as LanguageError).code, code);
    t.notMatch((err as Error).message, /secret|ldap:/, 'no store internals in the message');
    if (code === 'DG_ERR_LANGUAGE_UNKNOWN_STORE') t.match((err as Error).message, /Active Directory/);
  });
}

t.test('configured store names: compile-time diagnostic for others', (t) => {
  const ok = compileRuleSet(RULES, { attributeStores: ['active directory'] });
  t.same(ok.diagnostics, []);
  const bad = compileRuleSet(RULES, { attributeStores: ['SQL'] });
  t.equal(bad.ruleSet, undefined);
  t.match(bad.diagnostics, [{ code: 'DG_LANG_UNKNOWN_STORE', severity: 'error', start: { line: 2 } }]);
  const warn = compileRuleSet(RULES, { attributeStores: [], unknownStoreSeverity: 'warning' });
  t.ok(warn.ruleSet);
  t.match(warn.diagnostics, [{ code: 'DG_LANG_UNKNOWN_STORE', severity: 'warning' }]);
  t.end();
});

t.test('evaluateAsync without stores gives the same as evaluate', async (t) => {
  const { ruleSet } = compileRuleSet('c:[Type == "a"] => issue(Type = "b", Value = c.Value);');
  const input = [claim('a', '1'), claim('a', '2')];
  t.same(await ruleSet!.evaluateAsync(input, { trace: true }), ruleSet!.evaluate(input, { trace: true }));
});
