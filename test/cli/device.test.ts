import t from 'tap';
import { runCapture } from './run-cli.js';

const run = runCapture;

const AT = '2026-11-20T12:00:00Z';
const DAN = 'S-1-5-21-2378277246-2682074319-435474115-1105';

t.test('device --json: status, record and claims', async (t) => {
  const r = await run(['device', '--cert', 'fixtures/devices/hybrid-compliant.crt.pem', '--primary-sid', DAN, '--at', AT, '--json']);
  t.equal(r.code, 0, r.err);
  const d = JSON.parse(r.out);
  t.same(Object.keys(d), ['status', 'device', 'claims']);
  t.equal(d.status, 'known');
  t.equal(d.device.deviceId, 'e519228d-8c2b-47d8-afb4-5b33dfe6aeff');
  t.notOk('approximateLastLogon' in d.device, 'no msDS-ApproximateLastLogonTimeStamp on this object: absent stays absent');
  const claims = Object.fromEntries(d.claims.map((c: { type: string; value: string }) => [c.type.split('/').pop(), c.value]));
  t.same([claims.iscompliant, claims.isregistereduser, claims.isknown], ['true', 'true', 'true']);
  t.notOk('deviceusagetime' in claims, 'no usage time claim without a last logon');
});

t.test('device --json: a last logon becomes approximateLastLogon and the deviceusagetime claim', async (t) => {
  const r = await run(['device', '--cert', 'fixtures/devices/entra-compliant.crt.pem', '--at', AT, '--json']);
  t.equal(r.code, 0, r.err);
  const d = JSON.parse(r.out);
  t.equal(d.status, 'known');
  t.equal(d.device.approximateLastLogon, '2026-11-02T08:30:00.000Z');
  const usage = d.claims.find((c: { type: string }) => c.type === 'http://schemas.microsoft.com/2014/02/deviceusagetime');
  t.equal(usage?.value, '2026-11-02T08:30:00.000Z');
});

t.test('device exit codes: found with any status 0, not found 1 (rejected input, as design.md 0/1/2), bad input 1, usage 2', async (t) => {
  const cases: [string[], number, RegExp, RegExp?][] = [
    [['device', '--device-id', '92cf11e6-90d1-4516-be2c-bdc31143531b', '--at', AT], 0, /^status: disabled \(msDS-IsEnabled is FALSE\)$/m],
    [['device', '--thumbprint', '4203CE2569C10C19214AF93AEDBB67B3634F1C5C', '--at', AT], 0, /^status: stale/m],
    [['device', '--cert', 'fixtures/devices/expired-cert.crt.pem', '--at', AT], 0, /^status: untrusted_certificate \(expired/m],
    [['device', '--cert', 'fixtures/devices/not-in-ad.crt.pem', '--at', AT, '--json'], 1, /"status":"unknown".*"device":null,"claims":\[\]/, /no device object matches/],
    [['device', '--thumbprint', 'F'.repeat(40)], 1, /^status: unknown/m, /^devicegate device: no device object matches the thumbprint$/m],
    [['device', '--thumbprint', 'nothex'], 1, /.*/, /thumbprint/i],
    [['device'], 2, /.*/, /exactly one of --cert, --thumbprint, --device-id/],
    [['device', '--thumbprint', 'a', '--device-id', 'b'], 2, /.*/, /exactly one of/],
  ];
  for (const [argv, code, out, err] of cases) {
    const r = await run(argv);
    t.equal(r.code, code, argv.join(' '));
    t.match(r.out, out, `${argv.join(' ')}: stdout`);
    if (err) t.match(r.err, err, `${argv.join(' ')}: stderr`);
  }
});
