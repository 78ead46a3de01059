/**
 * One benchmark target, run as its own process so autocannon (in run.ts) does not share its event loop.
 * Usage: tsx bench/http/target.ts bare|devicegate <rulesDir> <directoryUrl> <bodyJson>
 * Prints one JSON line { port } on stdout (or BENCH_PORT_FD) when listening; exits on SIGTERM.
 */
import Fastify from 'fastify';
import { writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDirectory } from '../../src/directory/index.js';
import { createDecisionEngine } from '../../src/policy/index.js';
import { AuditLog, buildServer, parseApiTokens } from '../../src/server/index.js';
import { openAuditSink } from '../../src/cli/audit-sink.js';

const [mode, rulesDir, directoryUrl, replyFile] = process.argv.slice(2);

async function main(): Promise<void> {
  let app;
  if (mode === 'bare') {
    // A bare route with the same request body parse and a same-sized JSON reply.
    const { readFile } = await import('node:fs/promises');
    const reply = JSON.parse(await readFile(replyFile!, 'utf8')) as unknown;
    app = Fastify({ logger: false });
    app.post('/v1/decisions', async () => reply);
  } else {
    const directory = await openDirectory({ url: directoryUrl! });
    const engine = await createDecisionEngine({ rulesDir: resolve(rulesDir!), directory });
    // One audit line per decision: BENCH_AUDIT=stdout (as serve, the way run.ts runs it), off, discard, or a file path; default a temp file.
    const auditTarget = process.env.BENCH_AUDIT || join(tmpdir(), `devicegate-bench-audit-${process.pid}.jsonl`);
    // "discard": the audit lines are built but thrown away (isolates building a line from writing it).
    const sink = auditTarget === 'off' ? undefined : auditTarget === 'discard' ? { write: () => undefined, close: async () => undefined } : await openAuditSink(auditTarget, process.cwd());
    app = await buildServer({
      engine,
      logLevel: 'warn',
      auth: { tokens: parseApiTokens(process.env.DEVICEGATE_API_TOKENS) },
      // No back-pressure shedding: on a loaded machine a start-up stall would turn the benchmark into 503s.
      limits: { maxEventLoopDelayMs: 0 },
      ...(sink ? { audit: new AuditLog({ sink }) } : {}),
    });
    if (sink) {
      app.addHook('onClose', async () => {
        await sink.close();
        if (!process.env.BENCH_AUDIT) await rm(auditTarget, { force: true });
      });
    }
  }
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  // On stdout, or on BENCH_PORT_FD when stdout carries the audit log (bench/http/run.ts).
  writeSync(Number(process.env.BENCH_PORT_FD ?? 1), `${JSON.stringify({ port: Number(new URL(address).port) })}\n`);
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`target ${mode}: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
