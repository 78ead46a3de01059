import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { routeOnRequestHooks } from './auth-plugin.js';
import { ServerError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Liveness and scrapes answer under pressure too. */
    ignorePressure?: boolean;
  }
}

export interface BackPressureOptions {
  /** Mean event-loop delay over the last sample, ms; 0 disables. */
  readonly maxEventLoopDelayMs: number;
  /** Event-loop utilization over the last sample, 0..1; 0 disables. */
  readonly maxEventLoopUtilization: number;
  readonly maxHeapUsedBytes: number;
  readonly retryAfterSeconds: number;
  /** How often the process is sampled, ms (default 1000). */
  readonly sampleIntervalMs?: number;
}

/**
 * 503 + Retry-After while the process is over a threshold. The process is sampled on an unref'd
 * timer; a request only compares one boolean. The check is attached per route when the route is
 * declared (like auth), because @fastify/under-pressure's app-wide hook reads `request.routeOptions`,
 * a getter that builds an object on every request (measured: most of the cached-decision overhead).
 */
async function backPressure(app: FastifyInstance, options: BackPressureOptions): Promise<void> {
  const checks = options.maxEventLoopDelayMs > 0 || options.maxEventLoopUtilization > 0 || options.maxHeapUsedBytes > 0;
  if (!checks) return;
  const state = { pressured: false };
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  const sample = (): void => {
    const delayMs = delay.count > 0 ? delay.mean / 1e6 : 0;
    delay.reset();
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, elu).utilization;
    elu = now;
    state.pressured =
      (options.maxEventLoopDelayMs > 0 && delayMs > options.maxEventLoopDelayMs) ||
      (options.maxEventLoopUtilization > 0 && utilization > options.maxEventLoopUtilization) ||
      (options.maxHeapUsedBytes > 0 && process.memoryUsage().heapUsed > options.maxHeapUsedBytes);
  };
  const timer = setInterval(sample, options.sampleIntervalMs ?? 1000);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    delay.disable();
  });

  const retryAfter = String(options.retryAfterSeconds);
  const check: onRequestHookHandler = function underPressure(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (!state.pressured) {
      done();
      return;
    }
    reply.header('Retry-After', retryAfter);
    done(new ServerError('DG_ERR_SERVER_OVERLOADED', `the service is overloaded; retry after ${retryAfter} s`));
  };
  app.addHook('onRoute', (route) => {
    if (route.config?.ignorePressure === true) return;
    // Registered after the auth plugin, so this runs first of all: shedding load must stay cheap.
    route.onRequest = [check, ...routeOnRequestHooks(route.onRequest)];
  });
}

export const backPressurePlugin = fp(backPressure, { name: 'devicegate-back-pressure', fastify: '5.x' });
