import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteOptions } from './decisions-route.js';

const Readiness = Type.Object({
  ready: Type.Boolean(),
  rules: Type.Boolean(),
  directory: Type.Object({ ok: Type.Boolean(), backend: Type.String() }),
  policyRevision: Type.String(),
});

/** Probes and the Prometheus scrape: public, no token (design.md). */
// Liveness and scrapes must answer under load too.
const IGNORE_PRESSURE = { ignorePressure: true };

export const healthRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { engine, metrics, readiness }) => {
  app.get(
    '/healthz',
    { config: IGNORE_PRESSURE, schema: { summary: 'Process is up', tags: ['operations'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Rules loaded and directory reachable (503 when not); refreshed at most once a second, off the request path',
        tags: ['operations'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      // From the state the readiness timer keeps (at most one DC probe per interval, whoever asks).
      const state = await readiness.current();
      const body = { ready: state.ready, rules: state.rules, directory: state.directory, policyRevision: state.policyRevision === '' ? '' : engine.revision };
      return reply.code(body.ready ? 200 : 503).send(body);
    },
  );

  app.get('/metrics', { config: IGNORE_PRESSURE, schema: { summary: 'Prometheus metrics', tags: ['operations'], produces: ['text/plain'] } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
};
