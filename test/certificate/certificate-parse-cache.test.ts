// The parse cache: same answer as parseDeviceCertificate, shared on a hit, bounded, failures never kept.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateParseCache, parseDeviceCertificate } from '../../src/certificate/index.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: { certificate: string }[] };
const pems = manifest.devices.map((d) => readFileSync(join(ROOT, d.certificate), 'utf8'));

t.test('a hit is the same parse, shared and frozen', async (t) => {
  const cache = new CertificateParseCache();
  const first = cache.parse(pems[0]!);
  t.same(first, parseDeviceCertificate(pems[0]!), 'same fields as an uncached parse');
  t.equal(cache.parse(pems[0]!), first, 'the second parse is the remembered object');
  t.ok(Object.isFrozen(first));
  t.not(cache.parse(pems[1]!).thumbprint, first.thumbprint, 'another certificate, another entry');
  t.equal(cache.size, 2);
});

t.test('bounded by entries and by bytes', async (t) => {
  const byEntries = new CertificateParseCache({ maxEntries: 3 });
  for (const pem of pems) byEntries.parse(pem);
  t.ok(pems.length > 3);
  t.equal(byEntries.size, 3, 'never more than maxEntries');
  const bytes = pems[0]!.length + parseDeviceCertificate(pems[0]!).der.length + 256;
  const byBytes = new CertificateParseCache({ maxBytes: bytes * 2 });
  for (const pem of pems) byBytes.parse(pem);
  t.ok(byBytes.size <= 2, `never more than maxBytes (${byBytes.size} entries)`);
});

t.test('input that does not parse throws every time and is not kept', async (t) => {
  const cache = new CertificateParseCache();
  for (let i = 0; i < 2; i++) t.throws(() => cache.parse('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), { code: 'DG_ERR_CERT_MALFORMED' });
  t.equal(cache.size, 0);
});

t.test('a text with the same length and ending as a remembered one is parsed, not taken for it', async (t) => {
  const cache = new CertificateParseCache();
  const good = pems[0]!;
  const remembered = cache.parse(good);
  // Same length, same last 96 characters (the cache's key), one character changed in the middle.
  const middle = Math.floor(good.length / 2);
  const forged = `${good.slice(0, middle)}!${good.slice(middle + 1)}`;
  t.equal(forged.length, good.length);
  t.equal(forged.slice(-96), good.slice(-96));
  t.throws(() => cache.parse(forged), { code: 'DG_ERR_CERT_MALFORMED' }, 'parsed on its own: not the remembered certificate');
  // A different valid certificate body under the same key: its own parse.
  const other = pems.find((p) => p.length === good.length && p !== good);
  if (other !== undefined) {
    const spliced = `${other.slice(0, -96)}${good.slice(-96)}`;
    let parsed: unknown;
    try {
      parsed = cache.parse(spliced);
    } catch {
      parsed = undefined;
    }
    t.not(parsed, remembered, 'never the remembered object for another text');
  }
  t.equal(cache.parse(good).thumbprint, remembered.thumbprint, 'the original still parses to itself');
});
