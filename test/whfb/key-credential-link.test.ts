// Known answers for msDS-KeyCredentialLink decoding: blobs published as unit-test vectors by
// DSInternals (MichaelGrafnetter/DSInternals, Src/DSInternals.Common.Test/KeyCredentialTester.cs:
// KeyCredential_Parse_UserKey1 and KeyCredential_Parse_NonMFAKey), with the facts that suite asserts.
import { createHash } from 'node:crypto';
import t from 'tap';
import { decodeKeyCredentialBlob, decodeKeyCredentialLink, parseDnBinary } from '../../src/directory/index.js';

const USER_KEY_1 =
  '0002000020000120717AE052FCCF546AAD0D51E878AAD69CE04FDC39F5A8D8E3CEBA6BCB4DA0E720000214B7474E61C1001D3E546CFED8E387CFC1AC86A2CA7B3CDCF1267614585E2A341B0103525341310008000003000000000100000000000000000000010001C1A78914457758B0B13C70C710C7F8548F3F9ED56AD4640B6E6A112655C98ECAC1CBD68A298F5686C08439428A97FE6FDF58D78EA481905182BAD684C2D9C5CDE1CDE34AA19742E8BBF58B953EAC4C562FCF598CC176B02DBE9FFFEF5937A65815C236F92892F7E511A1FEDD5483CB33F1EA715D68106180DED2432A293367114A6E325E62F93F73D7ECE4B6A2BCDB829D95C8645C3073B94BA7CB7515CD29042F0967201C6E24A77821E92A6C756DF79841ACBAAE11D90CA03B9FCD24EF9E304B5D35248A7BD70557399960277058AE3E99C7C7E2284858B7BF8B08CDD286964186A50A7FCBCC6A24F00FEE5B9698BBD3B1AEAD0CE81FEA461C0ABD716843A50100040101000500100006E377F547D0D20A4A8ACAE0501098BDE40200070100080008417BD66E6603D401080009417BD66E6603D401';
const NON_MFA_KEY =
  '000200002000010D76D33954251DA969022D0D3B009939E256A6C9B3FF657907C72063F89AE79E200002F6B00E6A9BA3066ABDE0E4B23EB82D5E42898263AD46CA84BE0CFD20E81F91C00E01033082010A0282010100D6589A6FE210490583C1DCD57E3579AB24979D9B1A7118E3553DEDCFFA5CF5ABD41CF6C19CBBE598CE6F9140541E8FF8A778BD5CAADD8D038A49785A4D9031C98E26783E824BA3CF00D86C112A9A5C65A5ACF2B077E365D947BD41A437E7034CC00A77550B2EA8CEC18C1F7516DA4DC13177E1DE1D32FBBDDE1E1FD7395AAB71A8F302B985A64248C3A239E6943AEAFA9A8B591AE499F31723F7DC8A22A6D197445056DA4DF9D13443DB4A6201D52D82795A2F2FFA2F75B6F2605E213609A39DF33F26E023D83D9C4BDDD4879E234407833BA38460CBC66D9D31CDF2C5B3A042F321DA7F2140ECC4A5A190306ED51FE0EA5273DD83D5338B2554ABD3738A06A50203010001010004010100050002000701020800086254F138261CD3010800096254F138261CD301';
const OWNER = 'CN=Account,DC=contoso,DC=com';
const dnBinary = (hex: string, dn = OWNER) => `B:${hex.length}:${hex}:${dn}`;

t.test('DSInternals UserKey1: NGC key from AD, RSA1 key material, KeyID and KeyHash check out', async (t) => {
  const key = decodeKeyCredentialLink(dnBinary(USER_KEY_1));
  t.same(key.problems, []);
  t.equal(key.ownerDn, OWNER);
  t.equal(key.version, 0x200);
  t.equal(key.usage, 'NGC');
  t.equal(key.source, 'AD');
  t.equal(key.keyId, 'IHF64FL8z1RqrQ1R6Hiq1pzgT9w59ajY4866a8tNoOc=');
  t.equal(key.deviceId, '47f577e3-d2d0-4a0a-8aca-e0501098bde4');
  t.equal(key.keyIdValid, true);
  t.equal(key.keyHashValid, true);
  t.equal(key.rsa?.encoding, 'BCRYPT_RSAKEY_BLOB');
  t.equal(key.rsa?.bits, 2048);
  t.equal(key.rsa?.modulus.length, 256);
  t.equal(key.rsa?.exponent.toString('hex'), '010001');
  t.ok(key.created && key.created.getUTCFullYear() === 2018, 'creation time is a FILETIME in 2018');
});

t.test('DSInternals NonMFAKey: DER RSAPublicKey material and the MFA-not-used flag', async (t) => {
  const key = decodeKeyCredentialBlob(Buffer.from(NON_MFA_KEY, 'hex'), OWNER);
  t.same(key.problems, []);
  t.equal(key.usage, 'NGC');
  t.equal(key.source, 'AD');
  t.same(key.flags, { attestation: false, mfaNotUsed: true });
  t.equal(key.rsa?.encoding, 'PKCS#1');
  t.equal(key.rsa?.modulus.length, 256);
  t.equal(key.keyIdValid, true);
  t.equal(key.keyHashValid, true);
});

t.test('a changed byte is caught by KeyHash (and KeyID when it is the key material)', async (t) => {
  const blob = Buffer.from(USER_KEY_1, 'hex');
  const inMaterial = Buffer.from(blob);
  inMaterial[200] = inMaterial[200]! ^ 0xff;
  const bad = decodeKeyCredentialBlob(inMaterial);
  t.equal(bad.keyIdValid, false);
  t.equal(bad.keyHashValid, false);
  t.match(bad.problems.join('; '), /KeyHash does not match.*KeyID is not the SHA-256/);
  const inCreation = Buffer.from(blob);
  inCreation[inCreation.length - 1] = inCreation[inCreation.length - 1]! ^ 0x01;
  const bad2 = decodeKeyCredentialBlob(inCreation);
  t.equal(bad2.keyIdValid, true, 'the key material is intact');
  t.equal(bad2.keyHashValid, false);
});

t.test('KeyHash is the SHA-256 of everything after it (recomputed independently)', async (t) => {
  const blob = Buffer.from(USER_KEY_1, 'hex');
  // version (4) + KeyID entry (3 + 32) + KeyHash entry header (3)
  const hash = blob.subarray(4 + 35 + 3, 4 + 35 + 3 + 32);
  t.ok(createHash('sha256').update(blob.subarray(4 + 35 + 35)).digest().equals(hash));
});

t.test('malformed values are reported, never thrown', async (t) => {
  const cases: [string, RegExp][] = [
    ['not dn binary', /not a DN-Binary/],
    [`B:10:0002:${OWNER}`, /length 10 does not match/],
    [`B:3:000:${OWNER}`, /odd number/],
    [dnBinary('00010000'), /unsupported KEYCREDENTIALLINK version 0x100/],
    [dnBinary('0002'), /shorter than its 4-byte version/],
    [dnBinary(USER_KEY_1.slice(0, 120)), /runs past the end/],
    [dnBinary('0002000020'), /truncated entry header/],
    [dnBinary('00020000' + '0100' + '04' + '01'), /no KeyHash.*no KeyMaterial.*no KeyID/],
    [dnBinary('00020000' + '0100' + '05' + '00' + '0100' + '04' + '01'), /out of order/],
    [dnBinary('00020000' + '0400' + '06' + '00000000'), /DeviceId is 4 bytes/],
    [dnBinary('00020000' + '0000' + '0F'), /unknown entry identifier 0xf/],
  ];
  for (const [value, re] of cases) {
    let key;
    t.doesNotThrow(() => {
      key = decodeKeyCredentialLink(value);
    }, value.slice(0, 40));
    t.match((key as unknown as { problems: string[] }).problems.join('; '), re, value.slice(0, 40));
  }
});

t.test('parseDnBinary keeps the owner DN whole, commas and colons included', async (t) => {
  t.same(parseDnBinary('B:4:ABCD:CN=a\\,b:c,DC=x'), { bytes: Buffer.from('abcd', 'hex'), dn: 'CN=a\\,b:c,DC=x' });
});
