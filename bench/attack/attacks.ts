/** The attacks, each run for a phase against the serve child at 127.0.0.1:port. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile } from './probes.js';
import { ATTACK_RPS, ATTACK_TYPE } from './rules.js';

export interface Target {
  readonly port: number;
  readonly token: string;
  readonly seconds: number;
}

export type AttackResult = Record<string, unknown> & { readonly requests: number; readonly statuses: Record<string, number>; readonly permitted: number };

const round = (x: number): number => Math.round(x * 100) / 100;

function latencyStats(latencies: number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1) ?? 0) };
}

/** `concurrency` loops posting `body` for the phase; counts statuses and permits. */
async function hammer(target: Target, body: string, concurrency: number): Promise<AttackResult> {
  const statuses: Record<string, number> = {};
  const codes: Record<string, number> = {};
  const latencies: number[] = [];
  let requests = 0;
  let permitted = 0;
  let failed = 0;
  const end = performance.now() + target.seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        requests++;
        const started = performance.now();
        try {
          const res = await fetch(`http://127.0.0.1:${target.port}/v1/decisions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
            body,
            signal: AbortSignal.timeout(60_000),
          });
          const answer = (await res.json().catch(() => ({}))) as { decision?: string; reason?: { code?: string }; error?: { code?: string } };
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          const code = answer.reason?.code ?? answer.error?.code ?? 'none';
          codes[code] = (codes[code] ?? 0) + 1;
          if (answer.decision === 'permit') permitted++;
        } catch {
          failed++;
          // A stalled or dead server: stop hammering, the phase reports it.
          break;
        } finally {
          latencies.push(performance.now() - started);
        }
      }
    }),
  );
  return { requests, statuses, permitted, failed, codes, ...latencyStats(latencies) };
}

const claims = (n: number, value: (i: number) => string): { type: string; value: string }[] => Array.from({ length: n }, (_, i) => ({ type: ATTACK_TYPE, value: value(i) }));

/** `Value =~ "^(a+)+$"` against "aaa...a!" (30 a's): 2^30 steps for a backtracking engine. */
export function redos(target: Target): Promise<AttackResult> {
  const body = JSON.stringify({ relyingParty: ATTACK_RPS.redos, claims: [{ type: ATTACK_TYPE, value: `${'a'.repeat(30)}!` }] });
  return hammer(target, body, 2).then((r) => ({ ...r, requestBytes: body.length }));
}

/** A 3-way self-join over 512 caller claims: 134M tuples without a budget. */
export function join3(target: Target): Promise<AttackResult> {
  const body = JSON.stringify({ relyingParty: ATTACK_RPS.join, claims: claims(512, (i) => `v${i}`) });
  return hammer(target, body, 1).then((r) => ({ ...r, requestBytes: body.length }));
}

/** One Active Directory store query per claim: 512 LDAP searches per request without a budget. */
export function fanout(target: Target): Promise<AttackResult> {
  const body = JSON.stringify({ relyingParty: ATTACK_RPS.fanout, claims: claims(512, (i) => `user${i}`) });
  return hammer(target, body, 2).then((r) => ({ ...r, requestBytes: body.length }));
}

/** Sockets that send their headers, then the body one byte every `everyMs`. */
export async function slowBodies(target: Target, sockets = 100, everyMs = 10_000): Promise<AttackResult> {
  const length = 1000;
  const started = performance.now();
  const closes: number[] = [];
  const statuses: Record<string, number> = {};
  let bytes = 0;
  const all: Socket[] = [];
  const done = Array.from({ length: sockets }, () =>
    new Promise<void>((resolve) => {
      const socket = connect(target.port, '127.0.0.1');
      all.push(socket);
      let text = '';
      let drip: NodeJS.Timeout | undefined;
      socket.on('connect', () => {
        socket.write(`POST /v1/decisions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${target.token}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`);
        drip = setInterval(() => {
          if (socket.writable) {
            socket.write(' ');
            bytes++;
          }
        }, everyMs);
      });
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(drip);
        const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 'none';
        statuses[status] = (statuses[status] ?? 0) + 1;
        closes.push(performance.now() - started);
        resolve();
      });
    }),
  );
  // Long enough for any request timeout up to 30 s to act.
  const limit = Math.max(target.seconds, 35) * 1000;
  const timer = setTimeout(() => all.forEach((s) => s.destroy()), limit);
  await Promise.all(done);
  clearTimeout(timer);
  const closedByServer = closes.filter((ms) => ms < limit - 100);
  const sorted = [...closedByServer].sort((a, b) => a - b);
  return {
    requests: sockets,
    statuses,
    permitted: 0,
    everyMs,
    closedByServer: closedByServer.length,
    stillOpenAfterSeconds: closedByServer.length === sockets ? 0 : limit / 1000,
    secondsToCloseP50: round(percentile(sorted, 50) / 1000),
    secondsToCloseMax: round((sorted.at(-1) ?? 0) / 1000),
    bodyBytesSent: bytes,
  };
}

/** 66 KB bodies (over the 64 KiB limit), no Expect: time to the 413. */
export async function oversize(target: Target): Promise<AttackResult> {
  const body = JSON.stringify({ relyingParty: ATTACK_RPS.redos, claims: [{ type: ATTACK_TYPE, value: 'a'.repeat(66 * 1024) }] });
  return hammer(target, body, 10).then((r) => ({ ...r, requestBytes: body.length }));
}

/** 2 MB bodies with `Expect: 100-continue`: Node's client (is 100 ever sent?) and curl, if installed. */
export async function expectContinue(target: Target, rounds = 20): Promise<AttackResult> {
  const length = 2 * 1024 * 1024;
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let continued = 0;
  let resets = 0;
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: target.port,
        method: 'POST',
        path: '/v1/decisions',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}`, expect: '100-continue', 'content-length': String(length) },
        agent: false,
      });
      req.on('continue', () => {
        continued++;
        req.end(Buffer.alloc(length, 0x20));
      });
      req.on('response', (res) => {
        statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', () => {
        resets++;
        resolve();
      });
      req.flushHeaders();
    });
    latencies.push(performance.now() - started);
  }
  const curl = await curlTwoMegabytes(target);
  return { requests: rounds, statuses, permitted: 0, got100Continue: continued, resets, ...latencyStats(latencies), curl };
}

async function curlTwoMegabytes(target: Target): Promise<{ status: string; exitCode: number | null } | 'curl not installed'> {
  const file = join(mkdtempSync(join(tmpdir(), 'dg-2mb-')), 'body.json');
  writeFileSync(file, JSON.stringify({ relyingParty: ATTACK_RPS.redos, claims: [{ type: ATTACK_TYPE, value: 'a'.repeat(2 * 1024 * 1024) }] }));
  const child = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Expect: 100-continue', '-H', 'content-type: application/json', '-H', `authorization: Bearer ${target.token}`, '--data-binary', `@${file}`, `http://127.0.0.1:${target.port}/v1/decisions`]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => {
    child.on('error', () => resolve('curl not installed'));
    child.on('close', (exitCode) => resolve({ status: out.trim(), exitCode }));
  });
}

/**
 * Connections that never send a byte, more of them than the connection cap (a second wave takes any
 * slot the first left), so new callers are refused while they stay open. The server must close them
 * (headers timeout). Fresh callers (one connection each) try during the attack and after it.
 */
export async function silentConnections(target: Target, sockets = 1100): Promise<AttackResult> {
  const started = performance.now();
  const closes: number[] = [];
  const all: Socket[] = [];
  const open = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const socket = connect(target.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => closes.push(performance.now() - started));
      all.push(socket);
    }
  };
  const fresh = async (n: number): Promise<{ sent: number; answered: number }> => {
    let answered = 0;
    for (let i = 0; i < n; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${target.port}/healthz`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) answered++;
      } catch {
        // refused (closed on accept) or no answer within 1 s
      }
    }
    return { sent: n, answered };
  };
  const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));
  open(sockets);
  await sleep(1000);
  open(100);
  await sleep(1000);
  const during = await fresh(5);
  await sleep(Math.max(0, Math.max(target.seconds, 8) * 1000 - (performance.now() - started)));
  const after = await fresh(20);
  for (const s of all) s.destroy();
  const sorted = [...closes].sort((a, b) => a - b);
  return {
    requests: all.length,
    statuses: {},
    permitted: 0,
    closedByServerWithinPhase: sorted.length,
    secondsToCloseP50: round(percentile(sorted, 50) / 1000),
    secondsToCloseMax: round((sorted.at(-1) ?? 0) / 1000),
    freshCallersDuring: during,
    freshCallersAfter: after,
  };
}
