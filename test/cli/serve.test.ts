import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { resolveServeSettings } from '../../src/cli/commands/serve.js';
import type { CliIO } from '../../src/cli/io.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function io(env: Record<string, string> = {}, cwd = ROOT): CliIO {
  return { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env, cwd };
}

t.test('settings: defaults, config file, flags win, env for LDAP credentials', async (t) => {
  const defaults = await resolveServeSettings([], io());
  t.match(defaults, { directory: `ldif:${ROOT}/fixtures/contoso.ldif`.replace('//', '/'), rules: `${ROOT}/rules`.replace('//', '/'), host: '127.0.0.1', port: 8080, logLevel: 'info' });
  const dir = mkdtempSync(join(tmpdir(), 'dg-serve-'));
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ port: 9000, host: '0.0.0.0', rules: 'r2', directory: 'ldap://dc1' }));
  const merged = await resolveServeSettings(['--config', 'c.json', '--port', '9001'], io({ DEVICEGATE_LDAP_BIND_DN: 'CN=svc', DEVICEGATE_LDAP_PASSWORD: 'pw' }, dir));
  t.match(merged, { port: 9001, host: '0.0.0.0', rules: 'r2', directory: 'ldap://dc1', bindDn: 'CN=svc', password: 'pw' });
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ prot: 1 }));
  await t.rejects(resolveServeSettings(['--config', 'bad.json'], io({}, dir)), { name: 'RejectedInputError', message: /unknown setting "prot"/ });
  await t.rejects(resolveServeSettings(['--port', 'http'], io()), { name: 'UsageError' });
  await t.rejects(resolveServeSettings(['--tls-cert', 'x.pem'], io()), { name: 'UsageError' });
  await t.rejects(resolveServeSettings(['--frobnicate'], io()), { name: 'UsageError' });
});

t.test('serve listens on a free port, answers /healthz, prints the token once, stops on SIGTERM', async (t) => {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  delete env.DEVICEGATE_API_TOKENS;
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--port', '0', '--log-level', 'warn'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => [`exited: ${stderr}`])])) as [string];
  t.match(line, /^devicegate listening on http:\/\/127\.0\.0\.1:\d+ \(directory .*; policy revision \S+\)$/);
  t.notMatch(line, /Passw0rd/);
  const base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;

  const health = await fetch(`${base}/healthz`);
  t.equal(health.status, 200);
  t.same(await health.json(), { status: 'ok' });

  const tokens = [...stderr.matchAll(/generated admin token \(shown once\): (\S+)/g)].map((m) => m[1]!);
  t.equal(tokens.length, 1, 'token printed once on stderr');
  // Right after start-up (tsx compiling on a busy machine) back-pressure may answer 503 + Retry-After: retry as a client should.
  let authed = await fetch(`${base}/v1/relying-parties`, { headers: { authorization: `Bearer ${tokens[0]!}` } });
  for (let i = 0; i < 10 && authed.status === 503; i++) {
    t.ok(authed.headers.get('retry-after'), '503 carries Retry-After');
    await new Promise((resolve) => setTimeout(resolve, 500));
    authed = await fetch(`${base}/v1/relying-parties`, { headers: { authorization: `Bearer ${tokens[0]!}` } });
  }
  t.equal(authed.status, 200);
  t.equal((await fetch(`${base}/v1/relying-parties`)).status, 401);

  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  t.equal(code, 0, `clean exit (stderr: ${stderr.slice(-500)})`);
  t.equal([...stderr.matchAll(/shown once/g)].length, 1, 'still printed once');
});
