import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { failClosedReasonOf, type DecisionEngine, type DevicePresentation } from '../../policy/index.js';
import { toClaims } from '../decision-input.js';
import { BEARER_SECURITY, errorResponses } from '../schemas/common-schemas.js';
import { DecisionRequestBody, DecisionResponse } from '../schemas/decision-schemas.js';
import type { ReadinessCache } from '../readiness-cache.js';
import type { ServerMetrics } from '../server-metrics.js';
import type { WorkGate } from '../work-gate.js';

export interface RouteOptions {
  readonly engine: DecisionEngine;
  readonly metrics: ServerMetrics;
  /** The service's logger (Fastify's request.log is a no-op when request logging is off). */
  readonly log: FastifyBaseLogger;
  /** The bound on decisions in flight: enter() before the engine, leave() in a finally. */
  readonly gate: WorkGate;
  /** /readyz's state, refreshed off the request path. */
  readonly readiness: ReadinessCache;
}

export const decisionsRoute: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { engine, metrics, gate }) => {
  app.post(
    '/v1/decisions',
    {
      config: { scope: 'decide' },
      schema: {
        summary: 'One access decision: may this user, on this device, reach this relying party?',
        tags: ['decisions'],
        security: BEARER_SECURITY,
        body: DecisionRequestBody,
        response: { 200: DecisionResponse, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      const body = request.body;
      const startedAt = performance.now();
      gate.enter();
      let decision;
      try {
        decision = await engine.decide({
          relyingParty: body.relyingParty,
          // The schema admits exactly one of certificate/thumbprint/deviceId: already a presentation.
          device: body.device as DevicePresentation | undefined,
          claims: toClaims(body.claims),
          samlToken: body.samlToken,
          explain: body.explain === true,
          includeIssuedClaims: body.include !== undefined && body.include.length > 0,
        });
      } finally {
        gate.leave();
      }
      metrics.observeDecision(decision.decision, startedAt, failClosedReasonOf(decision));
      // Readonly arrays in the engine's types; the serializer only reads them.
      return decision as never;
    },
  );
};
