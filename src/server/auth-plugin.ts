import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { scopeOfToken, type ApiToken, type Scope } from './api-tokens.js';
import { ServerError } from './errors.js';

/** What a route needs; set per route as `config: { scope }`. Routes without it are public. */
export type RouteScope = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
  interface FastifyRequest {
    callerScope?: Scope;
  }
}

export interface AuthPluginOptions {
  readonly tokens: readonly ApiToken[];
  /** When true, a client certificate the TLS layer verified counts as scope decide. */
  readonly mtls: boolean;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function callerScope(request: FastifyRequest, options: AuthPluginOptions): Scope | undefined {
  const header = request.headers.authorization;
  let scope: Scope | undefined;
  if (typeof header === 'string') {
    const match = BEARER.exec(header);
    if (match) scope = scopeOfToken(options.tokens, match[1]!);
  }
  if (scope === undefined && options.mtls && (request.raw.socket as TLSSocket).authorized === true) scope = 'decide';
  return scope;
}

async function auth(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  app.addHook('onRequest', async (request) => {
    const needed = request.routeOptions.config.scope ?? 'public';
    if (needed === 'public') return;
    const scope = callerScope(request, options);
    if (scope === undefined) {
      throw new ServerError('DG_ERR_SERVER_UNAUTHENTICATED', 'a valid bearer token (Authorization: Bearer <token>) or client certificate is required');
    }
    if (needed === 'admin' && scope !== 'admin') {
      throw new ServerError('DG_ERR_SERVER_FORBIDDEN', 'this route needs the admin scope');
    }
    request.callerScope = scope;
  });
}

export const authPlugin = fp(auth, { name: 'devicegate-auth', fastify: '5.x' });
