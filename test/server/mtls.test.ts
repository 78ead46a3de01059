import t from 'tap';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, fixtureApp } from './fixture-app.js';

// Real X.509 from the fixtures: the device CA verifies client certificates; a device certificate
// doubles as the server's (the client below does not check the server, which is not the point here).
const pem = (p: string) => readFileSync(join(ROOT, 'fixtures', p));
const CA = pem('ca/ms-organization-access.crt.pem');

function get(port: number, path: string, client?: { cert: Buffer; key: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: path.includes('admin') ? 'POST' : 'GET', rejectUnauthorized: false, ...client }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('mutual TLS: a verified client certificate grants decide, nothing more', async (t) => {
  const { app } = await fixtureApp(t, {
    tls: { cert: pem('devices/rejoined.crt.pem'), key: pem('devices/rejoined.key.pem'), clientCa: CA },
    auth: { tokens: [], mtls: true, onGeneratedToken: () => undefined },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;

  const trusted = { cert: pem('devices/hybrid-compliant.crt.pem'), key: pem('devices/hybrid-compliant.key.pem') };
  const foreign = { cert: pem('devices/foreign-issuer.crt.pem'), key: pem('devices/foreign-issuer.key.pem') };

  t.equal((await get(port, '/v1/relying-parties', trusted)).status, 200, 'CA-signed client certificate: decide');
  t.equal((await get(port, '/v1/relying-parties')).status, 401, 'no client certificate');
  t.equal((await get(port, '/v1/relying-parties', foreign)).status, 401, 'certificate from another CA');
  t.equal((await get(port, '/v1/admin/reload', trusted)).status, 403, 'a certificate never grants admin');
  t.equal((await get(port, '/healthz')).status, 200, 'probes need nothing');
});
