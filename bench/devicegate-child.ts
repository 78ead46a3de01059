/**
 * devicegate as a benchmark target in its own process: the real engine and server with /metrics wired
 * to the directory and cache counters (as `devicegate serve` does). Settings come as one JSON argument:
 * { directory, bindDn?, password?, cacheMax?, rulesDir }. Prints one JSON line { port } when listening.
 */
import { openDirectory } from '../src/directory/index.js';
import { createDecisionEngine } from '../src/policy/index.js';
import { buildServer, parseApiTokens, ServerMetrics } from '../src/server/index.js';

const settings = JSON.parse(process.argv[2] ?? '{}') as { directory: string; bindDn?: string; password?: string; cacheMax?: number; rulesDir: string };
const directory = await openDirectory({
  url: settings.directory,
  ...(settings.bindDn !== undefined ? { bindDn: settings.bindDn } : {}),
  ...(settings.password !== undefined ? { password: settings.password } : {}),
  poolSize: 4,
});
const metrics = new ServerMetrics();
const engine = await createDecisionEngine({ rulesDir: settings.rulesDir, directory: metrics.instrumentDirectory(directory), ...(settings.cacheMax ? { cache: { max: settings.cacheMax } } : {}) });
const app = await buildServer({
  engine,
  logLevel: 'warn',
  auth: { tokens: parseApiTokens(process.env.DEVICEGATE_API_TOKENS) },
  metrics,
  metricsSources: { directory, cache: () => ({ ...engine.directory.counters, size: engine.directory.size }) },
  // The load generator shares the cores: event-loop delay must not turn a benchmark into 503s.
  limits: { maxEventLoopDelayMs: 0 },
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: Number(new URL(address).port) })}\n`);
process.once('SIGTERM', () => void app.close().then(() => directory.close()).then(() => process.exit(0)));
