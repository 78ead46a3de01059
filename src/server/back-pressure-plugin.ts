import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { routeOnRequestHooks } from './auth-plugin.js';
import { SERVER_ERRORS } from './errors.js';
import type { WorkGate } from './work-gate.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Liveness and scrapes answer under pressure too. */
    ignorePressure?: boolean;
    /**
     * The route applies the in-flight bound itself, after reading the body: it still answers what
     * needs no wait (a decision from the cache) when the bound is full (the decisions route).
     */
    boundInHandler?: boolean;
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
  /** The bound on decisions in flight: when it is full, requests are shed here, before their body is read. */
  readonly gate?: WorkGate;
  /** Where a change of state is logged (default: the app's logger). */
  readonly log?: FastifyBaseLogger;
  /** Called with every sample (tests, diagnostics). */
  readonly onSample?: (sample: PressureSample) => void;
}

export interface PressureSample {
  readonly delayMs: number;
  readonly utilization: number;
  readonly pressured: boolean;
}

/**
 * 503 + Retry-After while the process is over a threshold. The process is sampled on an unref'd
 * timer; a request only compares one boolean. The check is attached per route when the route is
 * declared (like auth), because @fastify/under-pressure's app-wide hook reads `request.routeOptions`,
 * a getter that builds an object on every request (measured: most of the cached-decision overhead).
 */
async function backPressure(app: FastifyInstance, options: BackPressureOptions): Promise<void> {
  const gate = options.gate;
  const checks = options.maxEventLoopDelayMs > 0 || options.maxEventLoopUtilization > 0 || options.maxHeapUsedBytes > 0;
  if (!checks && (gate === undefined || gate.max === 0)) return;
  const state = { pressured: false };
  const log = options.log ?? app.log;
  if (checks) {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    let elu: EventLoopUtilization | undefined;
    let timer: NodeJS.Timeout | undefined;
    const sample = (): void => {
      const delayMs = delay.count > 0 ? delay.mean / 1e6 : 0;
      delay.reset();
      const now = performance.eventLoopUtilization();
      const utilization = performance.eventLoopUtilization(now, elu).utilization;
      elu = now;
      const was = state.pressured;
      state.pressured =
        (options.maxEventLoopDelayMs > 0 && delayMs > options.maxEventLoopDelayMs) ||
        (options.maxEventLoopUtilization > 0 && utilization > options.maxEventLoopUtilization) ||
        (options.maxHeapUsedBytes > 0 && process.memoryUsage().heapUsed > options.maxHeapUsedBytes);
      if (state.pressured !== was) {
        if (state.pressured) log.warn({ delayMs: Math.round(delayMs), utilization: Number(utilization.toFixed(2)) }, 'under pressure: shedding requests with 503 until the next sample');
        else log.info('pressure over: accepting requests again');
      }
      options.onSample?.({ delayMs, utilization, pressured: state.pressured });
    };
    // Sampling starts when the app is ready, not when this plugin registers: between the two, the
    // process compiles every route schema and serializer (and, at start-up, loads modules and rules),
    // stalling the loop for hundreds of ms. Measured from registration, the first sample counted that
    // start-up stall as load, flagged the process as pressured, and the first decisions after a
    // restart were 503 DG_ERR_SERVER_OVERLOADED for a whole sample interval while nothing was wrong.
    app.addHook('onReady', async () => {
      if (timer) return;
      delay.enable();
      delay.reset();
      elu = performance.eventLoopUtilization();
      state.pressured = false;
      timer = setInterval(sample, options.sampleIntervalMs ?? 1000);
      timer.unref();
    });
    app.addHook('onClose', async () => {
      if (timer) clearInterval(timer);
      delay.disable();
    });
  }

  const retryAfter = String(options.retryAfterSeconds);
  // Shedding must cost less than the work it refuses: a fixed body, no error handler, no log line
  // per request (devicegate_requests_shed_total counts them; a change of state is logged once).
  const pressuredBody = JSON.stringify({ error: { code: 'DG_ERR_SERVER_OVERLOADED', message: `the service is overloaded; retry after ${retryAfter} s` } });
  const fullBody = gate ? gate.fullBody : pressuredBody;
  /** The check for a route; `bounded`: also shed when the in-flight bound is full (all but boundInHandler routes). */
  const checkFor = (bounded: boolean): onRequestHookHandler =>
    function underPressure(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
      if (!state.pressured && !(bounded && gate !== undefined && gate.full)) {
        done();
        return;
      }
      if (gate) gate.shed++;
      // Answered from the hook: Fastify skips the rest of the request (body, handler); done() is not called.
      void sendOverloaded(reply, retryAfter, state.pressured ? pressuredBody : fullBody);
    };
  const check = checkFor(true);
  const checkPressureOnly = checkFor(false);
  app.addHook('onRoute', (route) => {
    if (route.config?.ignorePressure === true) return;
    const inHandler = route.config?.boundInHandler === true;
    if (inHandler && !checks) return; // nothing left for the hook to check
    // Registered after the auth plugin, so this runs first of all: shedding load must stay cheap.
    route.onRequest = [inHandler ? checkPressureOnly : check, ...routeOnRequestHooks(route.onRequest)];
  });
}

/** The 503 + Retry-After answer with a fixed body: no error handler, no serializer, no log line. */
export function sendOverloaded(reply: FastifyReply, retryAfter: string, body: string): FastifyReply {
  return reply.code(SERVER_ERRORS.DG_ERR_SERVER_OVERLOADED.statusCode).header('Retry-After', retryAfter).header('content-type', 'application/json; charset=utf-8').send(body);
}

export const backPressurePlugin = fp(backPressure, { name: 'devicegate-back-pressure', fastify: '5.x' });
