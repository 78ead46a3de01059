import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { hasRocaFingerprint } from '../../src/certificate/index.js';

const modulusOf = (pem: string | Buffer): Buffer => Buffer.from(createPublicKey(pem).export({ format: 'jwk' }).n as string, 'base64url');

t.test('the public ROCA test key (crocs-muni/roca roca/tests/data/pubkey03.pem, a positive sample) is flagged', async (t) => {
  const pem = readFileSync(new URL('../../fixtures/whfb/roca-test-pubkey.pem', import.meta.url));
  t.equal(hasRocaFingerprint(modulusOf(pem)), true);
});

t.test('keys made by OpenSSL are not flagged; neither is an empty modulus', async (t) => {
  for (let i = 0; i < 8; i++) {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    t.equal(hasRocaFingerprint(modulusOf(publicKey.export({ type: 'spki', format: 'pem' }))), false);
  }
  t.equal(hasRocaFingerprint(new Uint8Array(0)), false);
});

t.test('a modulus built the vulnerable way (primes k*M + 65537^a mod M) is flagged', async (t) => {
  // Not a real key (no primality), but the structure the fingerprint detects: N = p*q, p and q ≡ 65537^a (mod M).
  const primes = [3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n, 43n, 47n, 53n, 59n, 61n, 67n, 71n, 73n, 79n, 83n, 89n, 97n, 101n, 103n, 107n, 109n, 113n, 127n, 131n, 137n, 139n, 149n, 151n, 157n, 163n, 167n];
  const m = primes.reduce((a, b) => a * b, 2n);
  const pow = (b: bigint, e: bigint, mod: bigint) => {
    let r = 1n;
    b %= mod;
    while (e > 0n) {
      if (e & 1n) r = (r * b) % mod;
      b = (b * b) % mod;
      e >>= 1n;
    }
    return r;
  };
  const p = 123456789n * m + pow(65537n, 1234n, m);
  const q = 987654321n * m + pow(65537n, 4321n, m);
  const n = p * q;
  const hex = n.toString(16);
  t.equal(hasRocaFingerprint(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex')), true);
  t.equal(hasRocaFingerprint(Buffer.from((n + 2n).toString(16).padStart(hex.length + (hex.length % 2), '0'), 'hex')), false);
});
