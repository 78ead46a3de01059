import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ServerError } from '../errors.js';
import { BEARER_SECURITY, errorResponses } from '../schemas/common-schemas.js';
import type { RouteOptions } from './decisions-route.js';

function isClientError(error: unknown): boolean {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

export const adminRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { engine, log }) => {
  app.post(
    '/v1/admin/reload',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Re-read rules/; on any error the running rules and revision stay and the diagnostics are returned',
        tags: ['admin'],
        security: BEARER_SECURITY,
        response: {
          200: Type.Object({ revision: Type.String(), previousRevision: Type.String(), changed: Type.Boolean() }),
          ...errorResponses(400, 401, 403, 415, 422, 429),
        },
      },
    },
    async (request) => {
      const previousRevision = engine.revision;
      try {
        const result = await engine.reload();
        log.info({ reqId: request.id, caller: request.callerName, revision: result.revision, previousRevision, changed: result.changed }, 'rules reloaded');
        return { revision: result.revision, previousRevision, changed: result.changed };
      } catch (error) {
        log.warn({ reqId: request.id, caller: request.callerName, code: (error as { code?: unknown }).code }, 'rules reload rejected');
        if (isClientError(error)) throw error;
        // Broken rules are the operator's input, not our crash: 422 with what the loader said.
        const wrapped = new ServerError(
          'DG_ERR_SERVER_RELOAD_FAILED',
          `rules reload failed; still serving revision ${previousRevision}: ${error instanceof Error ? error.message.split('\n')[0] : 'invalid rules'}`,
        );
        Object.assign(wrapped, { diagnostics: (error as { diagnostics?: unknown }).diagnostics });
        throw wrapped;
      }
    },
  );

  app.post(
    '/v1/admin/cache/purge',
    {
      config: { scope: 'admin' },
      // An empty POST purges everything: give the validator an object to check.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) (request as { body: unknown }).body = {};
      },
      schema: {
        summary: 'Purge one cached device (thumbprint, device ID or key) or, without a key, all',
        tags: ['admin'],
        security: BEARER_SECURITY,
        body: Type.Object({ key: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ purged: Type.Integer() }), ...errorResponses(400, 401, 403, 413, 415, 429) },
      },
    },
    async (request) => ({ purged: engine.purgeCache(request.body.key) }),
  );
};
