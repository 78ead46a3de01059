import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { resolveServeSettings } from '../../src/cli/commands/serve.js';
import type { CliIO } from '../../src/cli/io.js';

function io(cwd: string): CliIO {
  return { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd };
}

t.test('serve: bounds on work and timeouts from flags and the config file (flags win)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-limits-'));
  t.equal((await resolveServeSettings([], io(dir))).limits, undefined, 'nothing set: the built-in defaults apply');
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ maxInFlight: 64, maxConnections: 500, requestTimeout: 8000, headersTimeout: '3000', keepAliveTimeout: 61000, maxEventLoopDelay: 200 }));
  const merged = await resolveServeSettings(['--config', 'c.json', '--max-in-flight', '32', '--request-timeout', '0'], io(dir));
  t.same(merged.limits, { maxInFlight: 32, maxConnections: 500, requestTimeoutMs: 0, headersTimeoutMs: 3000, keepAliveTimeoutMs: 61000, maxEventLoopDelayMs: 200 });
});

t.test('serve: a bad bound is a usage error (flag) or rejected input (config), naming it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-limits-'));
  await t.rejects(resolveServeSettings(['--max-in-flight=-1'], io(dir)), { name: 'UsageError', message: /--max-in-flight must be a whole number/ });
  await t.rejects(resolveServeSettings(['--keep-alive-timeout', '5s'], io(dir)), { name: 'UsageError', message: /--keep-alive-timeout/ });
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ maxConnections: 1.5 }));
  await t.rejects(resolveServeSettings(['--config', 'bad.json'], io(dir)), { name: 'RejectedInputError', message: /"maxConnections" must be a whole number/ });
  writeFileSync(join(dir, 'bad2.json'), JSON.stringify({ maxInFlight: true }));
  await t.rejects(resolveServeSettings(['--config', 'bad2.json'], io(dir)), { name: 'RejectedInputError', message: /"maxInFlight"/ });
});
