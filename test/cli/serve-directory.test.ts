// serve: cache / change-tracking / per-DC settings (flags and --config keys), and what it logs at
// start about its directory (an unreachable DC, a refused bind: one clear line, no password).
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { resolveServeSettings } from '../../src/cli/commands/serve.js';
import type { CliIO } from '../../src/cli/io.js';
import { startSlapd } from '../harness/index.js';
import { activeFixture } from '../directory/active-fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const io = (cwd = ROOT): CliIO => ({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd });

t.test('settings: cache TTLs, stale-if-error, change poll and attempt timeout from flags and --config', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-serve-dir-'));
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ cacheTtl: 30000, cacheNegativeTtl: 0, staleIfError: 0, changePoll: 500, ldapAttemptTimeout: 1500 }));
  const fromFile = await resolveServeSettings(['--config', 'c.json', '--cache-ttl', '0'], io(dir));
  t.match(fromFile, { cacheTtl: '0', cacheNegativeTtl: '0', staleIfError: '0', changePoll: '500', ldapAttemptTimeout: '1500' }, 'flags win over the file');
  await t.rejects(resolveServeSettings(['--cache-ttl', '-1'], io()), { name: 'UsageError', message: /--cache-ttl/ });
  await t.rejects(resolveServeSettings(['--change-poll', 'often'], io()), { name: 'UsageError', message: /--change-poll/ });
  await t.rejects(resolveServeSettings(['--stale-if-error', '1.5'], io()), { name: 'UsageError', message: /--stale-if-error/ });
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ cacheTtl: true }));
  await t.rejects(resolveServeSettings(['--config', 'bad.json'], io(dir)), { name: 'RejectedInputError', message: /cacheTtl/ });
});

t.test('serve --help lists the settings', async (t) => {
  const { runCapture } = await import('./run-cli.js');
  const help = await runCapture(['serve', '--help']);
  for (const flag of ['--cache-ttl', '--cache-negative-ttl', '--stale-if-error', '--change-poll', '--ldap-attempt-timeout']) t.match(help.out + help.err, flag);
});

t.test('serve against a DC with a wrong password: one error line at start naming the DC, never the password', async (t) => {
  const spec = activeFixture();
  const slapd = await startSlapd(spec.ldifPath, { serviceAccount: spec.serviceAccount });
  t.teardown(() => slapd.stop());
  const password = 'Wr0ng-Secret-Value!';
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--port', '0', '--log-level', 'warn', '--directory', slapd.url], {
    cwd: ROOT,
    env: { ...(process.env as Record<string, string>), DEVICEGATE_API_TOKENS: 'sha256:' + '0'.repeat(64), DEVICEGATE_LDAP_BIND_DN: slapd.bindDn, DEVICEGATE_LDAP_PASSWORD: password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => [`exited: ${stderr}`])])) as [string];
  t.match(line, /^devicegate listening on /);
  const base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;
  // A few requests that need the directory (they are denied: no DC in rotation) and a readiness check.
  t.equal((await fetch(`${base}/readyz`)).status, 503, 'not ready: no DC in rotation');
  child.kill('SIGTERM');
  await once(child, 'exit');
  const records = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string; dc?: string; component?: string });
  const errors = records.filter((r) => r.level >= 50);
  t.equal(errors.length, 1, `one error line (${stderr.slice(0, 600)})`);
  t.match(errors[0], { component: 'directory', dc: slapd.url, msg: /bind refused/ });
  t.notOk(stderr.includes(password), 'password never logged');
});
