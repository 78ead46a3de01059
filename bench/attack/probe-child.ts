/**
 * The ordinary client and the liveness probe, in their own process so the attack traffic the
 * orchestrator sends does not delay them. Usage: tsx bench/attack/probe-child.ts '<json>' where json
 * is { port, token, body }; runs until a line arrives on stdin, then prints { ordinary, healthz }.
 * Ordinary client: 50 decisions/s (Payroll, a compliant device: expects permit). Probe: 20 GET /healthz/s.
 * Each keeps a small pool of keep-alive connections opened before the attack starts, as a relying
 * party's client or a load balancer would: a new connection during a connection flood waits in the
 * kernel's full accept queue (SYN retries after 1, 3, 7, 15 s), which measures the kernel, not us.
 */
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { pacedProbe } from './probes.js';

const { port, token, body } = JSON.parse(process.argv[2] ?? '{}') as { port: number; token: string; body: string };

function send(agent: Agent, method: string, path: string, payload: string | undefined, signal: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        signal,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const decisions = new Agent({ keepAlive: true, maxSockets: 4 });
const probes = new Agent({ keepAlive: true, maxSockets: 2 });
// Open the pools now, before any attack.
await Promise.all([
  ...Array.from({ length: 4 }, () => send(decisions, 'POST', '/v1/decisions', body, AbortSignal.timeout(30_000))),
  ...Array.from({ length: 2 }, () => send(probes, 'GET', '/healthz', undefined, AbortSignal.timeout(30_000))),
]);

const ordinary = pacedProbe(50, async (signal) => {
  const res = await send(decisions, 'POST', '/v1/decisions', body, signal);
  let decision: string | undefined;
  try {
    decision = (JSON.parse(res.text) as { decision?: string }).decision;
  } catch {
    decision = undefined;
  }
  return { status: res.status, ok: res.status === 200 && decision === 'permit' };
});

const healthz = pacedProbe(20, async (signal) => {
  const res = await send(probes, 'GET', '/healthz', undefined, signal);
  return { status: res.status, ok: res.status === 200 };
});

process.stdout.write('started\n');
createInterface({ input: process.stdin }).once('line', () => {
  void Promise.all([ordinary.stop(), healthz.stop()]).then(([o, h]) => {
    process.stdout.write(`${JSON.stringify({ ordinary: o, healthz: h })}\n`);
    process.exit(0);
  });
});
