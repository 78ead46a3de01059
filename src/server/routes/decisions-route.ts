import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { failClosedReasonOf, parseRfc3339, simulated, type Decision, type DecisionEngine, type DecisionRequest, type DevicePresentation } from '../../policy/index.js';
import { ServerError } from '../errors.js';
import { sendOverloaded } from '../back-pressure-plugin.js';
import { toClaims } from '../decision-input.js';
import { BEARER_SECURITY, errorResponses } from '../schemas/common-schemas.js';
import { DecisionRequestBody, DecisionResponse } from '../schemas/decision-schemas.js';
import type { ReadinessCache } from '../readiness-cache.js';
import type { ServerMetrics } from '../server-metrics.js';
import type { WorkGate } from '../work-gate.js';
import type { AuditLog } from '../audit-log.js';

export interface RouteOptions {
  readonly engine: DecisionEngine;
  readonly metrics: ServerMetrics;
  /** The service's logger (Fastify's request.log is a no-op when request logging is off). */
  readonly log: FastifyBaseLogger;
  /** The bound on decisions in flight: enter() before the engine, leave() in a finally. */
  readonly gate: WorkGate;
  /** /readyz's state, refreshed off the request path. */
  readonly readiness: ReadinessCache;
  /** One JSON line per decision, when configured. */
  readonly audit?: AuditLog;
  /** The AuthZEN PDP identifier (configured, or derived from the listen address); never from request headers. */
  readonly policyDecisionPoint?: () => string;
}

const JSON_UTF8 = 'application/json; charset=utf-8';

export const decisionsRoute: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { engine, metrics, gate, audit }) => {
  /**
   * The JSON of shared decisions (the engine hands out one frozen object per cached device, relying
   * party and outcome), made once by this route's own response serializer and sent as is after.
   */
  const serialized = new WeakMap<Decision, string>();
  /** Counts, audits and returns the decision as the response (marked simulated for a what-if). */
  const answer = (decision: Decision, at: Date | undefined, startedAt: number, request: FastifyRequest, reply: FastifyReply): never => {
    const shown = at !== undefined ? simulated(decision, at) : decision;
    metrics.observeDecision(shown.decision, startedAt, shown.relyingParty.id, failClosedReasonOf(shown));
    audit?.record(shown, { requestId: request.id, caller: request.callerName, startedAt, now: performance.now() });
    if (Object.isFrozen(shown)) {
      let json = serialized.get(shown);
      if (json === undefined) serialized.set(shown, (json = reply.serialize(shown) as string));
      void reply.header('content-type', JSON_UTF8);
      return json as never;
    }
    // Readonly arrays in the engine's types; the serializer only reads them.
    return shown as never;
  };
  app.post(
    '/v1/decisions',
    {
      // The in-flight bound is applied below, after the body: a full server still answers cache hits.
      config: { scope: 'decide', boundInHandler: true },
      schema: {
        summary: 'One access decision: may this user, on this device, reach this relying party?',
        tags: ['decisions'],
        security: BEARER_SECURITY,
        body: DecisionRequestBody,
        response: { 200: DecisionResponse, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      },
    },
    (request, reply) => {
      const body = request.body;
      const requestId = request.headers['x-request-id'];
      if (requestId !== undefined) reply.header('x-request-id', requestId);
      const startedAt = performance.now();
      let at: Date | undefined;
      if (body.at !== undefined || body.simulate === true) {
        if (body.simulate !== true) throw new ServerError('DG_ERR_SERVER_INVALID_REQUEST', '"at" needs "simulate": true (a what-if decision at another time)', 'at');
        at = body.at !== undefined ? parseRfc3339(body.at) : new Date();
        if (at === undefined) throw new ServerError('DG_ERR_SERVER_INVALID_REQUEST', '"at" must be an RFC 3339 date-time such as 2026-11-20T12:00:00Z', 'at');
      }
      const decisionRequest: DecisionRequest = {
        relyingParty: body.relyingParty,
        // The schema admits exactly one of certificate/thumbprint/deviceId: already a presentation.
        device: body.device as DevicePresentation | undefined,
        claims: toClaims(body.claims),
        samlToken: body.samlToken,
        explain: body.explain === true,
        includeIssuedClaims: body.include !== undefined && body.include.length > 0,
        ...(at !== undefined ? { at } : {}),
      };
      if (gate.full) {
        // The bound is full of decisions waiting on the directory: what the cache answers at once
        // takes no slot and is still answered; anything that would wait is turned away unstarted.
        const ready = engine.decideIfReady(decisionRequest);
        if (ready !== undefined) return answer(ready, at, startedAt, request, reply);
        gate.shed++;
        sendOverloaded(reply as FastifyReply, String(gate.retryAfterSeconds), gate.fullBody);
        return reply as never;
      }
      gate.enter();
      let made: Decision | Promise<Decision>;
      try {
        made = engine.decideNow(decisionRequest);
      } catch (error) {
        gate.leave();
        throw error;
      }
      // A decision made without waiting is returned as is: Fastify sends it with no promise in between.
      if (!(made instanceof Promise)) {
        gate.leave();
        return answer(made, at, startedAt, request, reply);
      }
      return made.then(
        (decision) => {
          gate.leave();
          return answer(decision, at, startedAt, request, reply);
        },
        (error: unknown) => {
          gate.leave();
          throw error;
        },
      );
    },
  );
};
