import t from 'tap';
import { PassThrough } from 'node:stream';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { runCli } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import * as issue from '../../scripts/fixtures/issue-certificate.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SAMPLE_KEY =
  'X509:<SHA1-TP-PUBKEY>DB6EFEC376B876C5D1A3EE72CF591DF74B323A5EI2o7uyShbCc+1kJow6OX6c5fWtR4fRBXCDkolT4SET0=';
const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as {
  devices: { slug: string; certificate: string; key: string; deviceId: string }[];
};

function capture(stdinText?: string): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  if (stdinText !== undefined) stdin.end(stdinText);
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  return { io: { stdout, stderr, stdin, env: {}, cwd: ROOT }, out: () => o, err: () => e };
}

async function run(argv: string[], stdinText?: string): Promise<{ code: number; out: string; err: string }> {
  const c = capture(stdinText);
  const code = await runCli(['cert', 'key', ...argv], c.io);
  return { code, out: c.out(), err: c.err() };
}

t.test('prints the MS-DVRE sample key from PEM (path relative to cwd)', async (t) => {
  const r = await run(['fixtures/ms-dvre-sample-device-cert.pem']);
  t.equal(r.code, 0);
  t.equal(r.out, `${SAMPLE_KEY}\n`);
  t.equal(r.err, '');
});

t.test('DER file and stdin give the same key', async (t) => {
  const dir = t.testdir({});
  const pem = readFileSync(join(ROOT, 'fixtures/ms-dvre-sample-device-cert.pem'), 'utf8');
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  writeFileSync(join(dir, 'sample.cer'), der);
  t.equal((await run([join(dir, 'sample.cer')])).out, `${SAMPLE_KEY}\n`);
  t.equal((await run(['-'], pem)).out, `${SAMPLE_KEY}\n`);
});

t.test('every fixture certificate prints its manifest key', async (t) => {
  for (const d of manifest.devices) {
    const r = await run([d.certificate]);
    t.equal(r.code, 0, d.slug);
    t.equal(r.out.trim(), d.key, d.slug);
  }
});

t.test('--json', async (t) => {
  const r = await run(['--json', 'fixtures/ms-dvre-sample-device-cert.pem']);
  t.equal(r.code, 0);
  t.same(JSON.parse(r.out), {
    key: SAMPLE_KEY,
    thumbprint: 'DB6EFEC376B876C5D1A3EE72CF591DF74B323A5E',
    publicKeyHash: 'I2o7uyShbCc+1kJow6OX6c5fWtR4fRBXCDkolT4SET0=',
    deviceId: '00166477-081e-4bc4-b2f2-468326ef9428',
    subject: 'CN=00166477-081e-4bc4-b2f2-468326ef9428',
    issuer: 'DC=net+DC=windows+CN=MS-Organization-Access+OU=82dbaca4-3e81-46ca-9c73-0950c1eaca97',
    notBefore: '2014-03-06T04:56:25.000Z',
    notAfter: '2024-03-03T05:01:25.000Z',
  });
  const ca = JSON.parse((await run(['fixtures/ca/ms-organization-access.crt.pem', '--json'])).out) as Record<string, unknown>;
  t.notOk('deviceId' in ca, 'no deviceId without the .284.2 extension');
  t.match(ca.key, /^X509:<SHA1-TP-PUBKEY>[0-9A-F]{40}[A-Za-z0-9+/]{43}=$/);
});

t.test('rejected input exits 1 with one line naming the file', async (t) => {
  const dir = t.testdir({ 'junk.pem': 'not a certificate\n', 'empty.pem': '' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(
    join(dir, 'ec.pem'),
    issue.toPem(
      issue.issueCertificate({
        subject: [[['CN', 'ec device']]], issuer: [[['CN', 'ec device']]], serial: issue.serialFor('ec'),
        notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2035-01-01T00:00:00Z'),
        publicKey: ec.publicKey, signingKey: ec.privateKey, extensions: [],
      }),
    ),
  );
  const cases: [string, string[], RegExp][] = [
    ['missing file', ['no/such/file.pem'], /no\/such\/file\.pem: no such file/],
    ['directory', [dir], /is a directory/],
    ['junk', [join(dir, 'junk.pem')], /junk\.pem: certificate is neither PEM nor base64/],
    ['empty', [join(dir, 'empty.pem')], /empty\.pem: certificate is empty/],
    ['private key', ['fixtures/ca/fabrikam-device-ca.key.pem'], /no CERTIFICATE block/],
    ['EC key', [join(dir, 'ec.pem')], /ec\.pem: certificate key is ec/],
  ];
  for (const [label, argv, message] of cases) {
    const r = await run(argv);
    t.equal(r.code, 1, label);
    t.match(r.err, message, label);
    t.equal(r.err.trim().split('\n').length, 1, `${label}: one line`);
    t.equal(r.out, '', `${label}: nothing on stdout`);
  }
});

t.test('usage errors exit 2', async (t) => {
  for (const argv of [[], ['a.pem', 'b.pem'], ['--pem', 'a.pem']]) {
    const r = await run(argv);
    t.equal(r.code, 2, JSON.stringify(argv));
    t.match(r.err, /devicegate cert key --help/);
  }
});

t.test('--help', async (t) => {
  const r = await run(['--help']);
  t.equal(r.code, 0);
  t.match(r.out, /Usage: devicegate cert key FILE \[--json\]/);
});
