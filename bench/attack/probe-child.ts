/**
 * The ordinary client and the liveness probe, in their own process so the attack traffic the
 * orchestrator sends does not delay them. Usage: tsx bench/attack/probe-child.ts '<json>' where json
 * is { port, token, body }; runs until a line arrives on stdin, then prints { ordinary, healthz }.
 * Ordinary client: 50 decisions/s (Payroll, a compliant device: expects permit). Probe: 20 GET /healthz/s.
 */
import { createInterface } from 'node:readline';
import { pacedProbe } from './probes.js';

const { port, token, body } = JSON.parse(process.argv[2] ?? '{}') as { port: number; token: string; body: string };

const ordinary = pacedProbe(50, async (signal) => {
  const res = await fetch(`http://127.0.0.1:${port}/v1/decisions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
    signal,
  });
  const answer = (await res.json().catch(() => ({}))) as { decision?: string };
  return { status: res.status, ok: res.status === 200 && answer.decision === 'permit' };
});

const healthz = pacedProbe(20, async (signal) => {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal });
  await res.arrayBuffer();
  return { status: res.status, ok: res.status === 200 };
});

process.stdout.write('started\n');
createInterface({ input: process.stdin }).once('line', () => {
  void Promise.all([ordinary.stop(), healthz.stop()]).then(([o, h]) => {
    process.stdout.write(`${JSON.stringify({ ordinary: o, healthz: h })}\n`);
    process.exit(0);
  });
});
