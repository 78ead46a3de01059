// Files written on Windows: PowerShell 5.1 writes UTF-8 with a BOM (Set-Content -Encoding UTF8) or
// UTF-16 LE with a BOM (Out-File, `>`), some tools UTF-16 BE, most CRLF. Every command that reads a
// file gives the same answer for each of them as for plain UTF-8 with LF.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { resolveServeSettings } from '../../src/cli/commands/serve.js';
import { decodeText, detectEncoding } from '../../src/text/index.js';
import { utf16be, utf16le, utf8bom } from '../policy/adfs-exports.js';
import { ROOT, runCapture } from './run-cli.js';

type Variant = readonly [string, (text: string) => Buffer];
const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');
const VARIANTS: readonly Variant[] = [
  ['utf-8 LF', (s) => Buffer.from(s, 'utf8')],
  ['utf-8 BOM CRLF', (s) => utf8bom(crlf(s))],
  ['utf-16le BOM CRLF', (s) => utf16le(crlf(s))],
  ['utf-16be BOM', (s) => utf16be(s)],
];

const AT = '2026-11-20T12:00:00Z';
const COMPLIANT = '0058DF301BC35E03A80EC24DB632FACF52D05041';
const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dg-win-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('the decoder', async (t) => {
  const text = 'a\r\nb “c” é\n';
  for (const [name, encode] of VARIANTS) t.equal(decodeText(encode(text)), 'a\nb “c” é\n', name);
  t.same(VARIANTS.map(([, e]) => detectEncoding(e('x'))), ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be']);
  t.equal(decodeText(Buffer.from('a\rb')), 'a\nb', 'a lone CR is a line end too');
});

t.test('decide --claims and --batch', async (t) => {
  const dir = await tempDir(t);
  const claims = JSON.stringify([{ type: UPN, value: 'dan@contoso.com' }], null, 2);
  const batch = [JSON.stringify({ relyingParty: 'urn:contoso:payroll', device: { thumbprint: COMPLIANT } }), JSON.stringify({ relyingParty: 'https://intranet.contoso.com/' })].join('\n');
  for (const [name, encode] of VARIANTS) {
    await writeFile(join(dir, 'claims.json'), encode(claims));
    const r = await runCapture(['decide', '--rp', 'https://claims.contoso.com/', '--device-id', 'e519228d-8c2b-47d8-afb4-5b33dfe6aeff', '--claims', join(dir, 'claims.json'), '--issued', '--at', AT, '--json']);
    t.equal(r.code, 0, `--claims ${name}: ${r.err}`);
    t.same(JSON.parse(r.out).issuedClaims.map((c: { value: string }) => c.value), ['dan@contoso.com', 'e519228d-8c2b-47d8-afb4-5b33dfe6aeff', 'CompliantDevice'], `--claims ${name}`);

    await writeFile(join(dir, 'in.jsonl'), encode(`${batch}\n`));
    const b = await runCapture(['decide', '--batch', join(dir, 'in.jsonl')]);
    t.equal(b.code, 0, `--batch ${name}`);
    t.same(b.out.trim().split('\n').map((l) => (JSON.parse(l) as { decision?: string }).decision), ['permit', 'mfa_required'], `--batch ${name}`);
  }
});

t.test('rules eval, rules lint, rules fmt', async (t) => {
  const dir = await tempDir(t);
  const rules = '@RuleName = "upn"\nc:[Type == "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"]\n => issue(claim = c);\n';
  const claims = JSON.stringify([{ type: UPN, value: 'dan@contoso.com' }]);
  for (const [name, encode] of VARIANTS) {
    await writeFile(join(dir, 'r.rules'), encode(rules));
    await writeFile(join(dir, 'c.json'), encode(claims));
    const e = await runCapture(['rules', 'eval', '--rules', join(dir, 'r.rules'), '--claims', join(dir, 'c.json'), '--json']);
    t.equal(e.code, 0, `eval ${name}: ${e.err}`);
    t.same(JSON.parse(e.out).map((c: { value: string }) => c.value), ['dan@contoso.com'], `eval ${name}`);
    const l = await runCapture(['rules', 'lint', join(dir, 'r.rules')]);
    t.equal(l.code, 0, `lint ${name}`);
    t.match(l.out, /1 file, 0 errors, 0 warnings/, `lint ${name}`);
    const check = await runCapture(['rules', 'fmt', '--check', join(dir, 'r.rules')]);
    t.equal(check.code, name === 'utf-8 LF' ? 0 : 1, `fmt --check ${name}: only UTF-8 with LF is canonical`);
    const fmt = await runCapture(['rules', 'fmt', join(dir, 'r.rules')]);
    t.equal(fmt.code, 0);
    t.same(await readFile(join(dir, 'r.rules')), Buffer.from(rules), `fmt ${name} writes UTF-8 with LF`);
  }
});

t.test('LDIF directory, cert key, decide --cert', async (t) => {
  const dir = await tempDir(t);
  const ldif = readFileSync(join(ROOT, 'fixtures/contoso.ldif'), 'utf8');
  const pem = readFileSync(join(ROOT, 'fixtures/devices/hybrid-compliant.crt.pem'), 'utf8');
  const key = (await runCapture(['cert', 'key', 'fixtures/devices/hybrid-compliant.crt.pem'])).out;
  t.match(key, /^X509:<SHA1-TP-PUBKEY>0058DF30/);
  for (const [name, encode] of VARIANTS) {
    await writeFile(join(dir, 'contoso.ldif'), encode(ldif));
    await writeFile(join(dir, 'device.pem'), encode(pem));
    const d = await runCapture(['decide', '--rp', 'urn:contoso:payroll', '--thumbprint', COMPLIANT, '--directory', `ldif:${join(dir, 'contoso.ldif')}`, '--at', AT, '--json']);
    t.equal(d.code, 0, `ldif ${name}: ${d.err}`);
    t.equal(JSON.parse(d.out).decision, 'permit', `ldif ${name}`);
    const k = await runCapture(['cert', 'key', join(dir, 'device.pem')]);
    t.equal(k.code, 0, `cert key ${name}: ${k.err}`);
    t.equal(k.out, key, `cert key ${name}`);
    const c = await runCapture(['decide', '--rp', 'urn:contoso:payroll', '--cert', join(dir, 'device.pem'), '--at', AT, '--json']);
    t.equal(JSON.parse(c.out).decision, 'permit', `decide --cert ${name}`);
  }
});

t.test('decide --saml and the signer certificate in farm.json', async (t) => {
  const dir = await tempDir(t);
  const { cpSync } = await import('node:fs');
  const rules = join(dir, 'rules');
  cpSync(join(ROOT, 'rules'), rules, { recursive: true });
  const tokens = JSON.parse(readFileSync(join(ROOT, 'fixtures/saml/tokens.json'), 'utf8')) as { tokens: { name: string; base64: string }[] };
  const xml = Buffer.from(tokens.tokens.find((x) => x.name === 'alice-assertion')!.base64, 'base64').toString('utf8');
  const farm = JSON.parse(readFileSync(join(rules, 'farm.json'), 'utf8')) as Record<string, unknown>;
  for (const [name, encode] of VARIANTS) {
    await writeFile(join(rules, 'signer.pem'), encode(readFileSync(join(ROOT, 'fixtures/saml/adfs-signing.crt.pem'), 'utf8')));
    await writeFile(join(rules, 'farm.json'), encode(JSON.stringify({ ...farm, samlTrustedSigners: [{ certificate: 'signer.pem', issuers: ['http://adfs.contoso.com/adfs/services/trust'] }] }, null, 2)));
    await writeFile(join(dir, 'token.xml'), encode(xml));
    const r = await runCapture(['decide', '--rp', 'https://payroll.contoso.com/', '--thumbprint', COMPLIANT, '--rules', rules, '--saml', join(dir, 'token.xml'), '--at', AT, '--json']);
    t.equal(r.code, 0, `--saml ${name}: ${r.err}`);
    t.equal(JSON.parse(r.out).decision, 'permit', `--saml ${name}`);
  }
});

t.test('serve --config', async (t) => {
  const dir = await tempDir(t);
  for (const [name, encode] of VARIANTS) {
    await writeFile(join(dir, 'c.json'), encode(JSON.stringify({ port: 9123, host: '127.0.0.1' }, null, 2)));
    const settings = await resolveServeSettings(['--config', 'c.json'], { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: dir });
    t.equal(settings.port, 9123, name);
  }
});

t.test('--claim-issuer: AD AUTHORITY claims make Issuer == "AD AUTHORITY" rules fire', async (t) => {
  const dir = await tempDir(t);
  const rules = join(dir, 'rules');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(join(rules, 'relying-parties/app'), { recursive: true });
  writeFileSync(join(rules, 'farm.json'), '{}');
  writeFileSync(join(rules, 'relying-parties/app/relying-party.json'), JSON.stringify({ name: 'App', identifiers: ['urn:app'] }));
  writeFileSync(
    join(rules, 'relying-parties/app/authorization.rules'),
    '@RuleName = "AD users"\nc:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname", Issuer == "AD AUTHORITY"]\n => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");\n',
  );
  const WAN = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname=CONTOSO\\dan';
  const base = ['decide', '--rules', rules, '--rp', 'urn:app', '--json'];
  const local = JSON.parse((await runCapture([...base, '--claim', WAN])).out);
  t.equal(local.decision, 'deny', 'a plain --claim is LOCAL AUTHORITY: the rule does not fire');
  const ad = JSON.parse((await runCapture([...base, '--claim-issuer', 'AD AUTHORITY', '--claim', WAN])).out);
  t.same([ad.decision, ad.reason.rule], ['permit', 'AD users']);
  const after = JSON.parse((await runCapture([...base, '--claim', WAN, '--claim-issuer', 'AD AUTHORITY'])).out);
  t.equal(after.decision, 'deny', 'the issuer applies to the claims after it only');
  const back = JSON.parse((await runCapture([...base, '--claim-issuer', 'AD AUTHORITY', '--claim-issuer', 'LOCAL AUTHORITY', '--claim', WAN])).out);
  t.equal(back.decision, 'deny');
  const batch = await runCapture(['decide', '--batch', 'x.jsonl', '--claim-issuer', 'AD AUTHORITY']);
  t.equal(batch.code, 2);
  const help = await runCapture(['decide', '--help']);
  t.match(help.out, /AD AUTHORITY vs LOCAL AUTHORITY/);
});
