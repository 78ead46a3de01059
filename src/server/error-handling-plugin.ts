import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { mapError, ServerError } from './errors.js';
import type { ServerMetrics } from './server-metrics.js';
import { OverloadedError } from './work-gate.js';

const DECISION_ROUTES = new Set(['/v1/decisions', '/access/v1/evaluation', '/access/v1/evaluations']);

/** One error handler and one not-found handler for the whole app; bodies always `{ error: {...} }`. */
async function errorHandling(app: FastifyInstance, options: { metrics: ServerMetrics; log: FastifyBaseLogger }): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    const mapped = mapError(error);
    if (mapped.unexpected) options.log.error({ reqId: request.id, err: error }, 'unexpected error');
    // Shed requests are counted (devicegate_requests_shed_total), not logged one by one: a flood would flood the log.
    else if (mapped.statusCode >= 500 && !(error instanceof OverloadedError)) options.log.warn({ reqId: request.id, code: mapped.body.error.code }, mapped.body.error.message);
    if (mapped.statusCode === 401) reply.header('WWW-Authenticate', 'Bearer');
    if (error instanceof OverloadedError && !reply.hasHeader('retry-after')) reply.header('Retry-After', String(error.retryAfterSeconds));
    if (DECISION_ROUTES.has(request.routeOptions.url ?? '')) options.metrics.observeDecisionError(mapped.statusCode);
    return reply.code(mapped.statusCode).send(mapped.body);
  });

  app.setNotFoundHandler((request) => {
    throw new ServerError('DG_ERR_SERVER_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`.slice(0, 200));
  });
}

export const errorHandlingPlugin = fp(errorHandling, { name: 'devicegate-errors', fastify: '5.x' });
