import t from 'tap';
import { createActiveDirectoryStore, parseAdStoreQuery } from '../../src/policy/index.js';
import { openFixtureDirectory } from './helpers.js';

t.test('query parsing and escaping', async (t) => {
  const cases: [string, string[], string, string[]][] = [
    [';tokenGroups;{0}', ['CONTOSO\\dan'], '(sAMAccountName=dan)', ['tokenGroups']],
    [';mail,displayName;{0}', ['dan'], '(sAMAccountName=dan)', ['mail', 'displayName']],
    [';mail;{0}', ['CONTOSO\\a*)(objectClass=*'], '(sAMAccountName=a\\2a\\29\\28objectClass=\\2a)', ['mail']],
    ['(&(objectClass=user)(mail={0}));sAMAccountName;{1}', ['x)(|(cn=*', 'CONTOSO\\dan'], '(&(objectClass=user)(mail=x\\29\\28|\\28cn=\\2a))', ['sAMAccountName']],
    ['sAMAccountName={0};cn;CONTOSO\\dan', ['bob'], '(sAMAccountName=bob)', ['cn']],
    ['(cn={0});cn;x', ['back\\slash'], '(cn=back\\5cslash)', ['cn']],
  ];
  for (const [query, params, filter, attributes] of cases) t.same(parseAdStoreQuery(query, params), { filter, attributes }, query);
  const bad: [string, string[], RegExp][] = [
    ['no semicolons', [], /must be "<filter>;<attributes>;<DOMAIN\\user>"/],
    [';;{0}', ['dan'], /names no attributes/],
    [';mail;{1}', ['dan'], /uses \{1\} but only 1 parameter/],
    [';ma il;{0}', ['dan'], /"ma il" is not an LDAP attribute name/],
    [';mail;', [], /neither a filter nor a DOMAIN\\user account/],
  ];
  for (const [query, params, message] of bad) t.throws(() => parseAdStoreQuery(query, params), { code: 'DG_ERR_POLICY_ATTRIBUTE_STORE', message }, query);
});

t.test('the store over the fixture directory', async (t) => {
  const directory = await openFixtureDirectory();
  t.teardown(() => directory.close());
  const store = createActiveDirectoryStore(directory);
  t.same(await store.query(';givenName,displayName;{0}', ['CONTOSO\\dan'], ['a', 'b']), [['Dan'], ['Dan Jump']]);
  t.same(await store.query(';givenName;{0}', ['CONTOSO\\*'], ['a']), [[]], 'a wildcard parameter matches nothing');
  t.same(await store.query('(memberOf={0});sAMAccountName;x', ['CN=Payroll Blocked,CN=Users,DC=contoso,DC=com'], ['a']), [['bob']]);
  await t.rejects(store.query(';givenName;{0}', ['CONTOSO\\dan'], ['a', 'b']), { message: /1 attribute\(s\) but the rule issues 2/ });
  await directory.close();
  await t.rejects(store.query(';givenName;{0}', ['CONTOSO\\dan'], ['a']), { code: 'DG_ERR_POLICY_ATTRIBUTE_STORE', message: /failed \(DG_ERR_DIRECTORY_CLOSED\)/ });
});
