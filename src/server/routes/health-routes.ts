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

export const healthRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { engine, metrics, log }) => {
  app.get(
    '/healthz',
    { config: IGNORE_PRESSURE, schema: { summary: 'Process is up', tags: ['operations'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Rules loaded and directory reachable (503 when not)',
        tags: ['operations'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      let body: { ready: boolean; rules: boolean; directory: { ok: boolean; backend: string }; policyRevision: string };
      try {
        const r = await engine.readiness();
        // Only ok/backend: the detail can name hosts and errors, and this route is unauthenticated.
        body = { ready: r.ok, rules: r.rules, directory: { ok: r.directory.ok, backend: r.directory.backend }, policyRevision: engine.revision };
      } catch (error) {
        log.warn({ err: error }, 'readiness check failed');
        body = { ready: false, rules: false, directory: { ok: false, backend: 'unknown' }, policyRevision: '' };
      }
      return reply.code(body.ready ? 200 : 503).send(body);
    },
  );

  app.get('/metrics', { config: IGNORE_PRESSURE, schema: { summary: 'Prometheus metrics', tags: ['operations'], produces: ['text/plain'] } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
};
