import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { normalizeDeviceId } from '../../certificate/index.js';
import type { DirectoryScanner } from '../../directory/index.js';
import { checkWhfb, parseUserLookup } from '../../inventory/index.js';
import { ServerError } from '../errors.js';
import { BEARER_SECURITY, StringEnum, errorResponses } from '../schemas/common-schemas.js';

const WhfbCheckResponse = Type.Object({
  user: Type.Object({ query: Type.String(), dn: Type.Optional(Type.String()), sid: Type.Optional(Type.String()), upn: Type.Optional(Type.String()) }),
  ok: Type.Boolean({ description: 'every check passed (warnings allowed)' }),
  checks: Type.Array(
    Type.Object({
      check: Type.String(),
      status: StringEnum(['pass', 'fail', 'warn']),
      message: Type.String(),
      fix: Type.Optional(Type.String({ description: 'what to do when the check does not pass' })),
      keyId: Type.Optional(Type.String()),
      deviceId: Type.Optional(Type.String()),
    }),
  ),
});

export const whfbRoutes: FastifyPluginAsyncTypebox<{ readonly scanner: DirectoryScanner }> = async (app, { scanner }) => {
  app.get(
    '/v1/users/:id/whfb',
    {
      config: { scope: 'admin' },
      schema: {
        summary: "A user's Windows Hello for Business hybrid certificate trust prerequisites that depend on device writeback",
        description: 'The same checks as `devicegate whfb check`. The user is a UPN, a SID or a DN (URL-encoded).',
        tags: ['whfb'],
        security: BEARER_SECURITY,
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 1024, description: 'user@domain, S-1-5-21-..., or CN=...' }) }, { additionalProperties: false }),
        querystring: Type.Object({ device: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'only keys made on this device (GUID)' })) }, { additionalProperties: false }),
        response: { 200: WhfbCheckResponse, ...errorResponses(400, 401, 403, 429, 503) },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!parseUserLookup(id)) throw new ServerError('DG_ERR_SERVER_INVALID_REQUEST', 'id must be a UPN (user@domain), a SID (S-1-5-...) or a DN (CN=...)', 'id');
      let deviceId: string | undefined;
      if (request.query.device !== undefined) {
        try {
          deviceId = normalizeDeviceId(request.query.device);
        } catch {
          throw new ServerError('DG_ERR_SERVER_INVALID_REQUEST', 'device must be a device ID (GUID)', 'device');
        }
      }
      return (await checkWhfb(scanner, id, deviceId !== undefined ? { deviceId } : {})) as never;
    },
  );
};
