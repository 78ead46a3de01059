import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { DeviceRecord } from '../../directory/index.js';
import { normalizeThumbprint } from '../decision-input.js';
import { ServerError } from '../errors.js';
import { BEARER_SECURITY, errorResponses } from '../schemas/common-schemas.js';
import { DeviceResponse, RelyingPartiesResponse } from '../schemas/device-schemas.js';
import type { RouteOptions } from './decisions-route.js';

function jsonRecord(record: DeviceRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key] = value instanceof Date ? value.toISOString() : value;
  return out;
}

export const deviceRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { engine, gate }) => {
  app.get(
    '/v1/devices/:thumbprint',
    {
      config: { scope: 'decide' },
      schema: {
        summary: "A device's directory record, status and device claims, by certificate thumbprint",
        tags: ['devices'],
        security: BEARER_SECURITY,
        params: Type.Object({ thumbprint: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
        querystring: Type.Object(
          { primarySid: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'caller SID, for isregistereduser' })) },
          { additionalProperties: false },
        ),
        response: { 200: DeviceResponse, ...errorResponses(400, 401, 403, 404, 429, 503) },
      },
    },
    async (request) => {
      const thumbprint = normalizeThumbprint(request.params.thumbprint, 'thumbprint');
      const primarySid = request.query.primarySid;
      gate.enter();
      let description;
      try {
        description = await engine.describeDevice({ thumbprint }, primarySid !== undefined ? { primarySid } : {});
      } finally {
        gate.leave();
      }
      if (description.status === 'unknown') throw new ServerError('DG_ERR_SERVER_DEVICE_NOT_FOUND', `no device has thumbprint ${thumbprint}`, 'thumbprint');
      if (description.status === 'directory_unavailable') {
        throw new ServerError('DG_ERR_SERVER_DIRECTORY_UNAVAILABLE', 'the directory is unavailable; try again later');
      }
      return {
        thumbprint,
        status: description.status,
        source: description.source,
        ...(description.record ? { record: jsonRecord(description.record) } : {}),
        claims: description.claims,
        ...(description.detail !== undefined ? { detail: description.detail } : {}),
      } as never;
    },
  );

  app.get(
    '/v1/relying-parties',
    {
      config: { scope: 'decide' },
      schema: {
        summary: 'The relying parties in the loaded rules',
        tags: ['relying parties'],
        security: BEARER_SECURITY,
        response: { 200: RelyingPartiesResponse, ...errorResponses(401, 403, 429) },
      },
    },
    async () => ({ policyRevision: engine.revision, relyingParties: engine.relyingParties() }) as never,
  );
};
