import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { TokenVerifier, type ApiToken, type Scope } from './api-tokens.js';
import { ServerError } from './errors.js';

/** What a route needs; set per route as `config: { scope }`. Routes without it are public. */
export type RouteScope = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
  interface FastifyRequest {
    callerScope?: Scope;
    /** Who called, for logs and the audit log: the token entry's name, or `mtls:<subject CN>`; never the token. */
    callerName?: string;
  }
}

export interface AuthPluginOptions {
  readonly tokens: readonly ApiToken[];
  /** When true, a client certificate the TLS layer verified counts as scope decide. */
  readonly mtls: boolean;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Sets request.callerName and returns the caller's scope, or undefined when unauthenticated. */
function callerScope(request: FastifyRequest, options: AuthPluginOptions, verifier: TokenVerifier): Scope | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = BEARER.exec(header);
    const caller = match ? verifier.callerOf(match[1]!) : undefined;
    if (caller !== undefined) {
      request.callerName = caller.name ?? 'token';
      return caller.scope;
    }
  }
  if (options.mtls && (request.raw.socket as TLSSocket).authorized === true) {
    const cn: unknown = (request.raw.socket as TLSSocket).getPeerCertificate().subject?.CN;
    request.callerName = `mtls:${typeof cn === 'string' ? cn : Array.isArray(cn) ? String(cn[0]) : 'client-certificate'}`;
    return 'decide';
  }
  return undefined;
}

/** A route's own onRequest hooks (none, one or a list) as a fresh list. */
export function routeOnRequestHooks(hooks: unknown): onRequestHookHandler[] {
  if (hooks === undefined || hooks === null) return [];
  return Array.isArray(hooks) ? [...(hooks as onRequestHookHandler[])] : [hooks as onRequestHookHandler];
}

const AUTH_HOOKS = new WeakSet<onRequestHookHandler>();

/** Whether a route hook is this plugin's check (so later plugins can go right after it). */
export function isAuthHook(hook: unknown): boolean {
  return typeof hook === 'function' && AUTH_HOOKS.has(hook as onRequestHookHandler);
}

/**
 * The check is attached per route when the route is declared (onRoute), with the scope it needs
 * already known: public routes run no auth code, and no request reads `request.routeOptions`
 * (a getter that builds an object on every access). Callback style: no promise per request.
 * Route-level hooks run before body parsing; back-pressure puts its own check in front of this one.
 */
async function auth(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  app.decorateRequest('callerScope', undefined);
  const verifier = new TokenVerifier(options.tokens);
  app.decorateRequest('callerName', undefined);
  const check = (needed: Scope): onRequestHookHandler =>
    function authenticate(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
      const scope = callerScope(request, options, verifier);
      if (scope === undefined) {
        done(new ServerError('DG_ERR_SERVER_UNAUTHENTICATED', 'a valid bearer token (Authorization: Bearer <token>) or client certificate is required'));
        return;
      }
      if (needed === 'admin' && scope !== 'admin') {
        done(new ServerError('DG_ERR_SERVER_FORBIDDEN', 'this route needs the admin scope'));
        return;
      }
      request.callerScope = scope;
      // Request log lines (when enabled) name the caller from here on: its name, never its token.
      const log = request.log as { setBindings?: (bindings: Record<string, unknown>) => void; isLevelEnabled?: (level: string) => boolean };
      if (typeof log.setBindings === 'function' && log.isLevelEnabled?.('info') === true) log.setBindings({ caller: request.callerName });
      done();
    };
  const hooks: Record<Scope, onRequestHookHandler> = { decide: check('decide'), admin: check('admin') };
  AUTH_HOOKS.add(hooks.decide).add(hooks.admin);
  app.addHook('onRoute', (route) => {
    const needed = route.config?.scope ?? 'public';
    if (needed === 'public') return;
    // Ours first among the route's own hooks (rate limiting keys on the authenticated caller).
    route.onRequest = [hooks[needed], ...routeOnRequestHooks(route.onRequest)];
  });
}

export const authPlugin = fp(auth, { name: 'devicegate-auth', fastify: '5.x' });
