/** Builds a real app over the real engine, the LDIF fixture directory and a rules/ tree (shared by the server tests). */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openLdifDirectory } from '../../src/directory/index.js';
import { createDecisionEngine, type DecisionEngine } from '../../src/policy/index.js';
import { buildServer, parseApiTokens, tokenHashEntry, type BuildServerOptions, type DevicegateServer } from '../../src/server/index.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RULES = join(ROOT, 'rules');
export const LDIF = join(ROOT, 'fixtures/contoso.ldif');

export const DECIDE_TOKEN = 'test-decide-token';
export const ADMIN_TOKEN = 'test-admin-token';
export const DECIDE = { authorization: `Bearer ${DECIDE_TOKEN}` };
export const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

export interface FixtureApp {
  readonly app: DevicegateServer;
  readonly engine: DecisionEngine;
  close(): Promise<void>;
}

type Teardown = { teardown(fn: () => unknown): void };

export async function fixtureApp(
  t: Teardown,
  options: { rulesDir?: string; engine?: DecisionEngine } & Partial<Omit<BuildServerOptions, 'engine'>> = {},
): Promise<FixtureApp> {
  const directory = await openLdifDirectory(LDIF);
  const engine = options.engine ?? (await createDecisionEngine({ rulesDir: options.rulesDir ?? RULES, directory }));
  const { rulesDir: _r, engine: _e, ...rest } = options;
  const app = await buildServer({
    engine,
    auth: { tokens: parseApiTokens(`${tokenHashEntry(DECIDE_TOKEN)},${tokenHashEntry(ADMIN_TOKEN, 'admin')}`) },
    // ts-node compiles on first use: event-loop stalls would trip the default 503 back-pressure.
    limits: { maxEventLoopDelayMs: 0 },
    ...rest,
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await app.close();
    await directory.close();
  };
  t.teardown(close);
  return { app, engine, close };
}

/** The `{ error: { code, message, field? } }` shape and nothing else. */
export function errorShape(body: unknown): { code: string; message: string; field?: string } | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error') return undefined;
  const error = (body as { error: Record<string, unknown> }).error;
  if (typeof error.code !== 'string' || typeof error.message !== 'string') return undefined;
  if (error.field !== undefined && typeof error.field !== 'string') return undefined;
  return error as { code: string; message: string; field?: string };
}
