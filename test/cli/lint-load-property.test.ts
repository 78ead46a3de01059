import t from 'tap';
import fc from 'fast-check';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadRegistry } from '../../src/policy/index.js';
import { always, deviceTrust, groups, location, mfa, policyMetadata, raw } from '../policy/adfs-exports.js';
import { runCapture } from './run-cli.js';

// Property: for generated and mutated rules/ trees, `rules lint DIR` reports no error exactly when the
// loader (the one serve and decide use) loads the tree; and every error in a file that has positions
// (JSON, rule files, policy XML) carries a line and column.

const PERMIT = '@RuleName = "all"\n=> issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");\n';
const MANAGED = 'c:[Type == "http://schemas.microsoft.com/2012/01/devicecontext/claims/ismanaged", Value == "true"]\n => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");\n';
const AD_STORE = 'c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname", Issuer == "AD AUTHORITY"]\n => issue(store = "Active Directory", types = ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"), query = ";userPrincipalName;{0}", param = c.Value);\n';
const SID = 'S-1-5-21-2378277246-2682074319-435474115-1201';
const GOOD_POLICY = policyMetadata([{ conditions: [location('intranet'), deviceTrust('managed')], exceptions: [groups('{GroupParameter}')] }, { conditions: [always(), mfa()] }]);

type Files = Record<string, string | null>;

function base(): Files {
  return {
    'farm.json': '{\n  "maxInactiveDays": 90\n}\n',
    'relying-parties/a/relying-party.json': JSON.stringify({ name: 'A', identifiers: ['urn:a'], enabled: true, mode: 'enforce' }, null, 2),
    'relying-parties/a/authorization.rules': PERMIT,
    'relying-parties/b/relying-party.json': JSON.stringify({ name: 'B', identifiers: ['urn:b'], accessControlPolicy: { name: 'Contoso policy', parameters: { GroupParameter: [SID] } } }, null, 2),
    'relying-parties/b/issuance.rules': AD_STORE,
    'access-control-policies/contoso/access-control-policy.json': '{ "name": "Contoso policy" }',
    'access-control-policies/contoso/policy-metadata.xml': GOOD_POLICY,
  };
}

const rpJson = (o: Record<string, unknown>): string => JSON.stringify(o, null, 2);

/** Mutations: some keep the tree loadable, most break one thing. */
const MUTATIONS: Record<string, (f: Files) => void> = {
  noFarm: (f) => (f['farm.json'] = null),
  emptyFarm: (f) => (f['farm.json'] = '{}'),
  farmNotJson: (f) => (f['farm.json'] = '{\n  "maxInactiveDays": 90,\n'),
  farmUnknownKey: (f) => (f['farm.json'] = '{ "maxInactiveDay": 3 }'),
  farmBadDays: (f) => (f['farm.json'] = '{ "maxInactiveDays": "90" }'),
  farmBadStore: (f) => (f['farm.json'] = '{ "attributeStores": ["SQL"] }'),
  farmNoStores: (f) => (f['farm.json'] = '{ "attributeStores": [] }'),
  farmBadOnError: (f) => (f['farm.json'] = '{ "onDirectoryError": "allow" }'),
  farmMissingCa: (f) => (f['farm.json'] = '{ "trustedDeviceIssuers": ["ca.pem"] }'),
  farmMissingGlobalMfa: (f) => (f['farm.json'] = '{ "additionalAuthenticationRules": "mfa.rules" }'),
  farmGlobalMfa: (f) => {
    f['farm.json'] = '{ "additionalAuthenticationRules": "mfa.rules" }';
    f['mfa.rules'] = MANAGED;
  },
  modeEnforceIsh: (f) => (f['relying-parties/a/relying-party.json'] = rpJson({ name: 'A', identifiers: ['urn:a'], mode: 'enforce-ish' })),
  stringIdentifiers: (f) => (f['relying-parties/a/relying-party.json'] = rpJson({ name: 'A', identifiers: 'urn:a' })),
  reportOnly: (f) => (f['relying-parties/a/relying-party.json'] = rpJson({ name: 'A', identifiers: ['urn:a', 'urn:a2'], mode: 'reportOnly', enabled: false })),
  duplicateIdentifier: (f) => (f['relying-parties/b/relying-party.json'] = rpJson({ name: 'B', identifiers: ['urn:a'], accessControlPolicy: { name: 'Permit everyone' } })),
  wrongParameterName: (f) => (f['relying-parties/b/relying-party.json'] = rpJson({ name: 'B', identifiers: ['urn:b'], accessControlPolicy: { name: 'Contoso policy', parameters: { Group: [SID] } } })),
  builtInPolicy: (f) => (f['relying-parties/b/relying-party.json'] = rpJson({ name: 'B', identifiers: ['urn:b'], accessControlPolicy: { name: 'Permit specific group', parameters: { GroupParameter: SID } } })),
  unknownPolicy: (f) => (f['relying-parties/b/relying-party.json'] = rpJson({ name: 'B', identifiers: ['urn:b'], accessControlPolicy: { name: 'Permit nobody' } })),
  bothAuthzAndPolicy: (f) => (f['relying-parties/b/authorization.rules'] = PERMIT),
  noAuthz: (f) => (f['relying-parties/a/authorization.rules'] = null),
  brokenRule: (f) => (f['relying-parties/a/authorization.rules'] = 'c:[Type == "x",] => issue(claim = c);\n'),
  unknownStore: (f) => (f['relying-parties/b/issuance.rules'] = AD_STORE.replace('"Active Directory"', '"SQL"')),
  warningRule: (f) => (f['relying-parties/a/issuance.rules'] = 'c:[] => add(claim = c);\n'),
  ipPolicy: (f) => (f['access-control-policies/contoso/policy-metadata.xml'] = policyMetadata([{ conditions: [location('10.0.0.0/8')] }])),
  unknownCondition: (f) => (f['access-control-policies/contoso/policy-metadata.xml'] = policyMetadata([{ conditions: [raw('ClientApplicationCondition', '<Operator>Equals</Operator>')] }])),
  freshAuth: (f) => (f['access-control-policies/contoso/policy-metadata.xml'] = GOOD_POLICY.replace('>false<', '>true<')),
  policyNotXml: (f) => (f['access-control-policies/contoso/policy-metadata.xml'] = '<PolicyMetadata'),
  policyNameless: (f) => (f['access-control-policies/contoso/access-control-policy.json'] = '{ "nom": "x" }'),
  policyNamedBuiltIn: (f) => (f['access-control-policies/contoso/access-control-policy.json'] = '{ "name": "Permit everyone" }'),
  policyNoXml: (f) => (f['access-control-policies/contoso/policy-metadata.xml'] = null),
  noPolicies: (f) => {
    f['access-control-policies/contoso/access-control-policy.json'] = null;
    f['access-control-policies/contoso/policy-metadata.xml'] = null;
  },
  missingRpJson: (f) => (f['relying-parties/c/authorization.rules'] = PERMIT),
};

type Encoding = 'utf8' | 'utf8bom' | 'utf16le' | 'utf16be';
function encode(text: string, encoding: Encoding, crlf: boolean): Buffer {
  const s = crlf ? text.replace(/\n/g, '\r\n') : text;
  switch (encoding) {
    case 'utf8':
      return Buffer.from(s, 'utf8');
    case 'utf8bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s, 'utf8')]);
    case 'utf16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
    case 'utf16be':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()]);
  }
}

interface LintJson {
  ok: boolean;
  diagnostics: { file: string; line?: number; column?: number; severity: string; message: string }[];
}

t.test('lint reports no error exactly when the loader loads', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'dg-lint-prop-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  let n = 0;
  let loaded = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.subarray(Object.keys(MUTATIONS), { maxLength: 3 }),
      fc.array(fc.tuple(fc.constantFrom<Encoding>('utf8', 'utf8bom', 'utf16le', 'utf16be'), fc.boolean()), { minLength: 12, maxLength: 12 }),
      async (mutations, encodings) => {
        const files = base();
        for (const m of mutations) MUTATIONS[m]!(files);
        const dir = join(root, `t${n++}`);
        let i = 0;
        for (const [path, content] of Object.entries(files)) {
          if (content === null) continue;
          const [encoding, crlf] = encodings[i++ % encodings.length]!;
          await mkdir(dirname(join(dir, path)), { recursive: true });
          await writeFile(join(dir, path), encode(content, encoding, crlf));
        }
        await mkdir(join(dir, 'relying-parties'), { recursive: true });
        const loads = await loadRegistry(dir, { cwd: root }).then(
          () => true,
          () => false,
        );
        if (loads) loaded++;
        const lint = await runCapture(['rules', 'lint', '--json', dir], { cwd: root });
        const body = JSON.parse(lint.out) as LintJson;
        const errors = body.diagnostics.filter((d) => d.severity === 'error');
        if ((lint.code === 0) !== loads || body.ok !== loads || (errors.length === 0) !== loads) {
          throw new Error(`mutations ${mutations.join(',')}: loads=${loads}, lint exit ${lint.code}: ${lint.out}`);
        }
        for (const d of errors) {
          const positional = /\.(json|rules|xml)$/.test(d.file) && !/file not found|^trustedDeviceIssuers|^samlTrustedSigners/.test(d.message);
          if (positional && d.line === undefined) throw new Error(`no line:col for ${d.file}: ${d.message}`);
        }
      },
    ),
    { numRuns: 80, seed: 20261130 },
  );
  t.ok(loaded > 5 && loaded < n - 5, `both outcomes were generated (${loaded} of ${n} trees load)`);
});
