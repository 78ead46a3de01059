// The ROCA fingerprint (CVE-2017-15361, Nemec et al., CCS 2017): RSA primes made by the vulnerable
// Infineon library have the form k*M + (65537^a mod M), M a primorial, so the modulus N lies, modulo
// every small prime p dividing M, in the subgroup that 65537 generates in Z_p^*. A random modulus
// does so for all 38 primes below 168 with negligible probability. This is the published per-prime
// ("moduli") test; the subgroups are computed here, not copied as bit masks.
const FINGERPRINT_PRIMES = [
  3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113,
  127, 131, 137, 139, 149, 151, 157, 163, 167,
] as const;
const GENERATOR = 65537;

/** For each prime: which residues the generator's powers reach (index = residue). */
const SUBGROUPS: readonly { readonly prime: number; readonly members: Uint8Array }[] = FINGERPRINT_PRIMES.map((prime) => {
  const members = new Uint8Array(prime);
  const g = GENERATOR % prime;
  let x = 1;
  do {
    members[x] = 1;
    x = (x * g) % prime;
  } while (x !== 1);
  return { prime, members };
});

function modSmall(modulus: Uint8Array, prime: number): number {
  let r = 0;
  for (const byte of modulus) r = (r * 256 + byte) % prime;
  return r;
}

/** True when an RSA modulus (big-endian bytes) carries the ROCA fingerprint. */
export function hasRocaFingerprint(modulus: Uint8Array): boolean {
  if (modulus.length === 0) return false;
  for (const { prime, members } of SUBGROUPS) {
    if (members[modSmall(modulus, prime)] !== 1) return false;
  }
  return true;
}
