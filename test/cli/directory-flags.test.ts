import t from 'tap';
import { DEFAULT_DIRECTORY } from '../../src/cli/package-root.js';
import { directoryOptionsFromFlags } from '../../src/cli/directory-flags.js';
import { UsageError } from '../../src/cli/io.js';
import { runCapture } from './run-cli.js';

const io = { cwd: '/srv/dg', env: { DEVICEGATE_LDAP_BIND_DN: 'CN=env,DC=x', DEVICEGATE_LDAP_PASSWORD: 'env-secret' } };

t.test('flags map to openDirectory options; flags win over the environment', async (t) => {
  // The default directory is the package's sample, by absolute path: it works from any working directory.
  t.same(directoryOptionsFromFlags({}, io), { url: DEFAULT_DIRECTORY, cwd: '/srv/dg', bindDn: 'CN=env,DC=x', password: 'env-secret' });
  t.match(DEFAULT_DIRECTORY, /^ldif:\/.*\/fixtures\/contoso\.ldif$/);
  t.same(
    directoryOptionsFromFlags(
      { directory: 'ldap://dc1,ldap://dc2', 'bind-dn': 'CN=flag,DC=x', password: 'p', 'base-dn': 'DC=x', 'ca-file': 'ca.pem', 'start-tls': true, 'tls-insecure': true, 'ldap-timeout': '1500' },
      io,
    ),
    { url: 'ldap://dc1,ldap://dc2', cwd: '/srv/dg', bindDn: 'CN=flag,DC=x', password: 'p', baseDn: 'DC=x', caFile: 'ca.pem', startTls: true, tlsInsecure: true, timeoutMs: 1500 },
  );
});

t.test('a bad --ldap-timeout is a usage error', async (t) => {
  for (const bad of ['0', '-5', 'soon', '1.5']) {
    t.throws(() => directoryOptionsFromFlags({ 'ldap-timeout': bad }, io), UsageError, bad);
  }
});

t.test('--ca-file reaches the directory (every command that opens one)', async (t) => {
  for (const argv of [
    ['device', '--thumbprint', 'A'.repeat(40)],
    ['decide', '--rp', 'https://payroll.contoso.com/'],
    ['serve', '--port', '0'],
  ]) {
    const r = await runCapture([...argv, '--directory', 'ldaps://127.0.0.1:1', '--ca-file', 'no-such-ca.pem']);
    t.equal(r.code, 1, `${argv[0]} exits 1`);
    t.match(r.err, /no-such-ca\.pem: cannot read the CA file/, `${argv[0]} names the CA file`);
  }
  const r = await runCapture(['device', '--thumbprint', 'A'.repeat(40), '--directory', 'ldap://127.0.0.1:1', '--start-tls', '--directory', 'ldaps://127.0.0.1:1']);
  t.equal(r.code, 1);
  t.match(r.err, /StartTLS is for ldap:\/\/ URLs/);
});
