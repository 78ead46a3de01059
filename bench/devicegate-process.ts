// Starts bench/devicegate-child.ts as its own process and reads its /metrics (for herd and mixed).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { generateToken, tokenHashEntry } from '../src/server/index.js';

const ROOT = new URL('../', import.meta.url).pathname;

export interface DevicegateProcess {
  readonly url: string;
  readonly token: string;
  readonly child: ChildProcess;
  /** A Prometheus sample's value (summed over label sets matching `labels`), 0 when absent. */
  metric(name: string, labels?: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startDevicegate(settings: { directory: string; bindDn?: string; password?: string; cacheMax?: number }): Promise<DevicegateProcess> {
  const token = generateToken();
  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}bench/devicegate-child.ts`, JSON.stringify({ rulesDir: `${ROOT}rules`, ...settings })], {
    cwd: ROOT,
    env: { ...process.env, DEVICEGATE_API_TOKENS: tokenHashEntry(token, 'admin') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((ok, fail) => {
    createInterface({ input: child.stdout! }).once('line', (line) => ok((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => fail(new Error(`devicegate child exited ${String(code)}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    token,
    child,
    async metric(name, labels = '') {
      const text = await (await fetch(`${url}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(name)) continue;
        const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
        if (m && m[1] === name && (m[2] ?? '').includes(labels)) sum += Number(m[3]);
      }
      return sum;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
