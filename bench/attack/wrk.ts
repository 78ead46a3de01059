/**
 * wrk as the overload generator (closed loop: every connection keeps one request outstanding, so the
 * offered load is "as fast as the server answers" times the connection count). wrk is a C program:
 * on a small machine it leaves the server more CPU than a Node generator would.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WrkResult {
  tool: 'wrk';
  connections: number;
  requestsPerSecond: number;
  responses: number;
  non2xx3xx: number;
  socketErrors: string;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
}

function script(token: string, body: string | undefined, relyingParty: string): string {
  const headers = `wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.headers["authorization"] = "Bearer ${token}"\n`;
  if (body !== undefined) return `${headers}wrk.body = ${JSON.stringify(body)}\n`;
  // A thumbprint no device has on every request: a cache miss and a directory search each.
  return `${headers}
local hex = "0123456789ABCDEF"
request = function()
  local t = {}
  for i = 1, 40 do local n = math.random(1, 16); t[i] = hex:sub(n, n) end
  return wrk.format(nil, nil, nil, '{"relyingParty":"${relyingParty}","device":{"thumbprint":"' .. table.concat(t) .. '"}}')
end
`;
}

const ms = (value: string, unit: string): number => Number(value) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 }[unit] ?? 1);

export async function wrk(url: string, token: string, options: { connections: number; seconds: number; body?: string; relyingParty: string }): Promise<WrkResult> {
  const file = join(mkdtempSync(join(tmpdir(), 'dg-wrk-')), 'post.lua');
  writeFileSync(file, script(token, options.body, options.relyingParty));
  const threads = Math.min(2, options.connections);
  const child = spawn('wrk', ['-t', String(threads), '-c', String(options.connections), '-d', `${options.seconds}s`, '--timeout', '30s', '--latency', '-s', file, url]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`wrk exited ${String(code)}: ${out}`);
  const latency = (label: string): number => {
    const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s|m)`).exec(out);
    return m ? Number(ms(m[1]!, m[2]!).toFixed(2)) : NaN;
  };
  const max = /Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)/.exec(out);
  return {
    tool: 'wrk',
    connections: options.connections,
    requestsPerSecond: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0)),
    responses: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    non2xx3xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: /Socket errors: (.*)/.exec(out)?.[1] ?? 'none',
    latencyP50Ms: latency(' 50%'),
    latencyP99Ms: latency(' 99%'),
    latencyMaxMs: max ? Number(ms(max[1]!, max[2]!).toFixed(2)) : NaN,
  };
}
