import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const child of live) if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch { /* already gone */ }
    }
  };
  // Last resort: servers never outlive the test process, even when a test throws or tap times it out.
  process.on('exit', killAll);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll();
      process.removeListener(sig, onSignal);
      // Re-raise so the default (or tap's own) handling still ends the process.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/** Absolute path of a server binary (PATH, then the sbin folders), or a clear error naming the package. */
export function findBinary(name: string, pkg: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* next */ }
  }
  throw new Error(`${name} not found: install ${pkg} (bash scripts/ensure-test-servers.sh installs the test servers)`);
}

export interface RunResult { stdout: string; stderr: string }

/** Run a tool to completion; rejects with its stderr on a non-zero exit. */
export function run(file: string, args: readonly string[], options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 << 20, env: options.env ?? process.env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file.split('/').pop()} ${args.slice(0, 3).join(' ')} failed: ${String(stderr).trim().split('\n').slice(-5).join(' | ') || error.message}`));
      else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export interface Daemon {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Last lines the daemon wrote to stderr/stdout (for failure messages). */
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM by PID, then SIGKILL after graceMs. Resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL by PID. */
  stopHard(): Promise<void>;
}

export function startDaemon(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Daemon {
  hookExit();
  const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  if (child.pid === undefined) throw new Error(`could not start ${file}`);
  live.add(child);
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  const pid = child.pid;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch { /* already gone */ }
  };
  return {
    child,
    pid,
    output: () => out,
    exited,
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async stopHard() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGKILL');
      await exited;
    },
  };
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A loopback address (127.0.0.2-127.0.0.254) on which `ports` were all free a moment ago. Samba's
 * ports are fixed (389/636/3268/3269), so each Samba instance gets an address of its own and test
 * files (and developers' checkouts) can run several at once.
 */
export async function freeLoopbackAddress(ports: readonly number[]): Promise<string> {
  const start = 2 + ((process.pid * 7919) % 253);
  for (let i = 0; i < 253; i++) {
    const address = `127.0.0.${2 + ((start - 2 + i) % 253)}`;
    if (await allFree(address, ports)) return address;
  }
  throw new Error('no loopback address in 127.0.0.2-254 has the ports free');
}

async function allFree(address: string, ports: readonly number[]): Promise<boolean> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.unref();
      server.once('error', () => resolve(false));
      server.listen(port, address, () => server.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
