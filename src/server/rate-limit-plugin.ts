import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import { isAuthHook, routeOnRequestHooks } from './auth-plugin.js';
import { ServerError } from './errors.js';

export interface RateLimitOptions {
  /** Requests allowed per caller per window. */
  readonly max: number;
  readonly windowMs?: number;
}

/**
 * A small fixed-window limiter keyed by the caller (its Authorization header, else its address).
 * Attached per protected route right after the auth check, so unauthenticated floods are 401s and
 * never fill the table; public routes (probes, scrapes) are not limited.
 */
async function rateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  const windowMs = options.windowMs ?? 1000;
  let windowStart = Date.now();
  let counts = new Map<string, number>();
  const keyOf = (request: FastifyRequest): string => request.headers.authorization ?? request.ip;
  function limit(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const now = Date.now();
    if (now - windowStart >= windowMs) {
      windowStart = now;
      counts = new Map();
    }
    const key = keyOf(request);
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    if (count > options.max) {
      reply.header('Retry-After', String(Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000))));
      done(new ServerError('DG_ERR_SERVER_RATE_LIMITED', `more than ${options.max} requests in ${windowMs} ms; retry later`));
      return;
    }
    done();
  }
  app.addHook('onRoute', (route) => {
    if ((route.config?.scope ?? 'public') === 'public') return;
    const hooks = routeOnRequestHooks(route.onRequest);
    hooks.splice(hooks.findIndex(isAuthHook) + 1, 0, limit);
    route.onRequest = hooks;
  });
}

export const rateLimitPlugin = fp(rateLimit, { name: 'devicegate-rate-limit', fastify: '5.x', dependencies: ['devicegate-auth'] });
