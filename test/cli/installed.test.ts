import t from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// The built CLI, started the way an installed one is (a symlink on PATH, as npm link makes), from a
// directory outside the repository: defaults must come from the package folder, not the cwd.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
execFileSync(process.execPath, [join(ROOT, 'scripts/ensure-dist.mjs')], { stdio: 'inherit' });

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const devices = JSON.parse(readFileSync(join(ROOT, 'fixtures/devices.json'), 'utf8')) as { devices: { slug: string; thumbprint: string }[] };
const COMPLIANT = devices.devices.find((d) => d.slug === 'hybrid-compliant')!.thumbprint;

const home = mkdtempSync(join(tmpdir(), 'dg-installed-'));
t.teardown(() => rmSync(home, { recursive: true, force: true }));
mkdirSync(join(home, 'bin'));
const bin = join(home, 'bin', 'devicegate');
symlinkSync(join(ROOT, 'dist/cli/main.js'), bin);
const cwd = join(home, 'work');
mkdirSync(cwd);
const env = { ...process.env, DEVICEGATE_API_TOKENS: '' };

function run(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

t.test('--version and -v print the package version', async (t) => {
  for (const flag of ['--version', '-v']) {
    const r = run([flag]);
    t.equal(r.code, 0);
    t.equal(r.out, `devicegate ${pkg.version}\n`);
  }
});

t.test('group help lists the subcommands', async (t) => {
  const rules = run(['rules', '--help']);
  t.equal(rules.code, 0);
  for (const sub of ['lint', 'eval', 'fmt']) t.match(rules.out, `devicegate rules ${sub}`);
  const cert = run(['cert', '--help']);
  t.equal(cert.code, 0);
  t.match(cert.out, 'devicegate cert key');
});

t.test('decide from another directory uses the package sample directory and rules', async (t) => {
  const r = run(['decide', '--rp', 'https://payroll.contoso.com/', '--thumbprint', COMPLIANT, '--json']);
  t.equal(r.code, 0, r.err);
  const decision = JSON.parse(r.out) as { decision: string; device: { status: string } };
  t.equal(decision.decision, 'permit');
  t.equal(decision.device.status, 'known');
  // An explicit relative path is the caller's and resolves against the cwd: rejected (exit 1), saying so.
  const missing = run(['decide', '--rp', 'https://payroll.contoso.com/', '--rules', 'rules']);
  t.equal(missing.code, 1);
  t.match(missing.err, /rules directory does not exist/);
  const serve = run(['serve', '--port', '0', '--directory', 'ldif:contoso.ldif']);
  t.equal(serve.code, 1);
  t.equal(serve.err.trim().split('\n').filter((l) => !l.includes('generated admin token') && !l.startsWith('{')).length, 1, serve.err);
});

t.test('serve starts from another directory; a port in use is one line and exit 69', async (t) => {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--log-level', 'warn'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => [`exited: ${stderr}`])])) as [string];
  t.match(line, /^devicegate listening on http:\/\/127\.0\.0\.1:\d+ /);
  const health = await fetch(`${/(http:\/\/\S+?:\d+)/.exec(line)![1]!}/healthz`);
  t.equal(health.status, 200);
  child.kill('SIGTERM');
  t.equal(((await once(child, 'exit')) as [number | null])[0], 0);

  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const busy = run(['serve', '--port', String(port), '--log-level', 'warn']);
  t.equal(busy.code, 69);
  // JSON lines are the service log (the sample rules/ warn about a store devicegate cannot serve); the failure is one plain line.
  const errLines = busy.err.trim().split('\n').filter((l) => !l.includes('generated admin token') && !l.startsWith('{'));
  t.equal(errLines.length, 1, busy.err);
  t.match(errLines[0], /^devicegate serve: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE: .*--port/);
  t.notMatch(busy.err, /internal error/);

  // Other failures to start: one line each, exit 1 (rejected input) or 2 (usage), never "internal error".
  const blockerFile = join(home, 'a-file');
  writeFileSync(blockerFile, '');
  const table: [string[], number, RegExp][] = [
    [['--audit-log', join(blockerFile, 'audit.jsonl')], 1, /^devicegate serve: --audit-log .*: cannot open \(EEXIST\)$/],
    [['--config', 'nope.json'], 1, /^devicegate serve: nope\.json: cannot read JSON config \(ENOENT\)$/],
    [['--tls-cert', join(ROOT, 'fixtures/devices/disabled.crt.pem'), '--tls-key', join(ROOT, 'fixtures/devices/hybrid-compliant.key.pem')], 1, /^devicegate serve: --tls-cert\/--tls-key\/--tls-client-ca: cannot be loaded/],
    [['--audit-sample', '2'], 2, /^devicegate serve: --audit-sample/],
    [['--port', '99999'], 2, /^devicegate serve: --port must be 0-65535/],
  ];
  for (const [args, code, line] of table) {
    const r = run(['serve', '--port', '0', ...args]);
    t.equal(r.code, code, args.join(' '));
    const lines = r.err.trim().split('\n').filter((l) => !l.includes('generated admin token') && !l.startsWith('Run "devicegate') && !l.startsWith('{'));
    t.equal(lines.length, 1, r.err);
    t.match(lines[0], line);
  }
});
