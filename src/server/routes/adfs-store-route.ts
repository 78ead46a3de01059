import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { executeStoreQuery, isAdfsStoreError } from '../../adfs-store/index.js';
import { BEARER_SECURITY } from '../schemas/common-schemas.js';
import { AttributeStoreErrorResponse, AttributeStoreQueryBody, AttributeStoreQueryResponse } from '../schemas/adfs-store-schemas.js';
import type { RouteOptions } from './decisions-route.js';

const E = AttributeStoreErrorResponse;
const ERRORS = { 400: E, 401: E, 403: E, 404: E, 413: E, 415: E, 429: E, 503: E } as const;

/** POST /v1/adfs/attribute-store/query: the contract the AD FS attribute store shim calls. */
export const adfsStoreRoute: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { engine, log, gate }) => {
  app.post(
    '/v1/adfs/attribute-store/query',
    {
      config: { scope: 'decide' },
      schema: {
        summary: 'An AD FS custom attribute store query (the integrations/adfs-attribute-store shim); mutual TLS recommended for an AD FS farm',
        description:
          'Query grammar: <verb>;<column,...>;<argument>;... with verbs device (device ID or thumbprint [; user SID] -> device-claim columns) and ' +
          'decision (relying party; device ID or thumbprint; user primary SID -> decision, reason, reasoncode, rule, devicestatus, the same ' +
          'decision as /v1/decisions). The query is parsed before any parameter is bound. A malformed query is a 400 with code and position.',
        tags: ['adfs'],
        security: BEARER_SECURITY,
        body: AttributeStoreQueryBody,
        response: { 200: AttributeStoreQueryResponse, ...ERRORS },
      },
    },
    async (request, reply) => {
      const body = request.body;
      // A store query is a decision or a device look-up: it takes a slot of the work-in-flight bound.
      gate.enter();
      try {
        return (await executeStoreQuery(engine, body.query, body.params)) as never;
      } catch (error) {
        if (!isAdfsStoreError(error)) throw error;
        if (error.statusCode >= 500) log.warn({ reqId: request.id, code: error.code, store: body.store, node: body.node, requestId: body.requestId }, error.message);
        const { code, message, field, position } = error;
        return reply.code(error.statusCode as 400 | 503).send({ error: { code, message, field, ...(position !== undefined ? { position } : {}) } });
      } finally {
        gate.leave();
      }
    },
  );
};
