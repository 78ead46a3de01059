import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { Compile } from 'typebox/compile';
import { Type } from 'typebox';
import { failClosedReasonOf, type Decision, type DecisionEngine, type DecisionRequest } from '../../policy/index.js';
import { makeClaim, type Claim } from '../../language/index.js';
import type { AuditLog } from '../audit-log.js';
import { toClaims, toDevice, type ClaimInputValue, type DeviceInputValue } from '../decision-input.js';
import { mapError, ServerError, validationError } from '../errors.js';
import {
  AuthzenConfiguration,
  EvaluationRequestBody,
  EvaluationResponse,
  EvaluationsRequestBody,
  EvaluationsResponse,
} from '../schemas/authzen-schemas.js';
import { BEARER_SECURITY, errorResponses } from '../schemas/common-schemas.js';
import type { ServerMetrics } from '../server-metrics.js';
import type { WorkGate } from '../work-gate.js';
import type { RouteOptions } from './decisions-route.js';

const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';

interface Subject { type: string; id: string; properties?: { claims?: ClaimInputValue[] } }
interface Resource { type: string; id: string }
interface Action { name: string }
interface Context { device?: DeviceInputValue; claims?: ClaimInputValue[] }
interface Evaluation { subject?: Subject; resource?: Resource; action?: Action; context?: Context }

export interface EvaluationResult {
  decision: boolean;
  context: Record<string, unknown>;
}

/** Who asked, for the audit log. */
interface Caller {
  readonly requestId: string;
  readonly name: string | undefined;
}

/** AuthZEN subject/resource/action/context -> our decision request; field prefixes name the batch item. */
export function toDecisionRequest(evaluation: Evaluation, at: string): DecisionRequest {
  const { subject, resource, action, context } = evaluation;
  if (!subject) throw new ServerError('DG_ERR_SERVER_INVALID_REQUEST', `missing required field "${at}subject"`, `${at}subject`);
  if (!resource) throw new ServerError('DG_ERR_SERVER_INVALID_REQUEST', `missing required field "${at}resource"`, `${at}resource`);
  if (!action) throw new ServerError('DG_ERR_SERVER_INVALID_REQUEST', `missing required field "${at}action"`, `${at}action`);
  if (subject.type !== 'user') throw new ServerError('DG_ERR_SERVER_UNSUPPORTED_SUBJECT', `"${at}subject.type" must be "user"`, `${at}subject.type`);
  if (resource.type !== 'relying_party') {
    throw new ServerError('DG_ERR_SERVER_UNSUPPORTED_SUBJECT', `"${at}resource.type" must be "relying_party"`, `${at}resource.type`);
  }
  if (action.name !== 'access') throw new ServerError('DG_ERR_SERVER_UNSUPPORTED_SUBJECT', `"${at}action.name" must be "access"`, `${at}action.name`);
  const claims: Claim[] = [...toClaims(subject.properties?.claims), ...toClaims(context?.claims)];
  if (!claims.some((c) => c.type.toLowerCase() === UPN)) claims.push(makeClaim({ type: UPN, value: subject.id }));
  return { relyingParty: resource.id, device: toDevice(context?.device), claims };
}

export function toEvaluationResult(decision: Decision): EvaluationResult {
  return {
    decision: decision.decision === 'permit',
    context: {
      decision: decision.decision,
      reason_admin: decision.reason,
      device: decision.device,
      policy_revision: decision.policyRevision,
    },
  };
}

interface Deps {
  readonly engine: DecisionEngine;
  readonly metrics: ServerMetrics;
  readonly audit: AuditLog | undefined;
  readonly gate: WorkGate;
}

async function evaluate({ engine, metrics, audit, gate }: Deps, request: DecisionRequest, caller: Caller): Promise<EvaluationResult> {
  const startedAt = performance.now();
  // Each evaluation of a batch takes its own slot: a batch of 100 is 100 units of work.
  gate.enter();
  let decision: Decision;
  try {
    decision = await engine.decide(request);
  } finally {
    gate.leave();
  }
  metrics.observeDecision(decision.decision, startedAt, decision.relyingParty.id, failClosedReasonOf(decision));
  audit?.record(decision, { requestId: caller.requestId, caller: caller.name, startedAt, now: performance.now() });
  return toEvaluationResult(decision);
}

// One batch item (after the top-level defaults are applied) must be a whole evaluation request.
const checkEvaluation = Compile(EvaluationRequestBody);

/** A batch item: defaults applied, checked against the evaluation schema, then evaluated. */
function itemRequest(item: unknown, defaults: Evaluation, index: number): DecisionRequest {
  const at = `evaluations.${index}.`;
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new ServerError('DG_ERR_SERVER_INVALID_REQUEST', `"evaluations.${index}" must be an object`, `evaluations.${index}`);
  }
  const own = item as Evaluation;
  const merged: Evaluation = {
    subject: own.subject ?? defaults.subject,
    resource: own.resource ?? defaults.resource,
    action: own.action ?? defaults.action,
    context: own.context ?? defaults.context,
  };
  for (const key of ['subject', 'resource', 'action'] as const) {
    if (merged[key] === undefined) throw new ServerError('DG_ERR_SERVER_INVALID_REQUEST', `missing required field "${at}${key}" (and no top-level default)`, `${at}${key}`);
  }
  if (merged.context === undefined) delete merged.context;
  if (!checkEvaluation.Check(merged)) {
    const error = validationError([...checkEvaluation.Errors(merged)].map(ajvShaped), `evaluations.${index}`);
    const field = error.field !== undefined ? `${at}${error.field}` : `evaluations.${index}`;
    throw new ServerError(error.code, error.message.replace(`"${error.field ?? ''}"`, `"${field}"`), field);
  }
  return toDecisionRequest(merged, at);
}

/** TypeBox names missing and extra properties in lists; the error mapping reads Ajv's single-name params. */
function ajvShaped(error: { keyword: string; instancePath: string; message: string; params: Record<string, unknown> }) {
  const { params } = error;
  const first = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);
  if (error.keyword === 'required') return { ...error, params: { missingProperty: first(params.requiredProperties ?? params.missingProperty) } };
  if (error.keyword === 'additionalProperties') return { ...error, params: { additionalProperty: first(params.additionalProperties ?? params.additionalProperty) } };
  return error;
}

/**
 * One item's failure is that item's `decision: false` with the reason in its context (AuthZEN 1.0
 * "errors in individual evaluations"); only an error of ours (a 500) fails the request.
 */
async function evaluateItem(deps: Deps, item: unknown, defaults: Evaluation, index: number, caller: Caller): Promise<EvaluationResult> {
  try {
    return await evaluate(deps, itemRequest(item, defaults, index), caller);
  } catch (error) {
    const mapped = mapError(error);
    if (mapped.unexpected) throw error;
    deps.metrics.observeDecisionError(mapped.statusCode);
    const { code, message } = mapped.body.error;
    return { decision: false, context: { error: { status: mapped.statusCode, ...mapped.body.error }, reason_admin: { code, message } } };
  }
}

/** AuthZEN 1.0: a request's X-Request-ID comes back on the response (also on 4xx/5xx answers). */
function echoRequestId(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const id = request.headers['x-request-id'];
  if (typeof id === 'string') reply.header('x-request-id', id);
  done();
}

export const authzenRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { engine, metrics, audit, gate, policyDecisionPoint }) => {
  const deps: Deps = { engine, metrics, audit, gate };
  // Encapsulated: runs for this plugin's routes only, before authentication (so 401s carry it too).
  app.addHook('onRequest', echoRequestId);

  app.post(
    '/access/v1/evaluation',
    {
      config: { scope: 'decide' },
      schema: {
        summary: 'AuthZEN 1.0 access evaluation (subject user, resource relying_party, action access)',
        tags: ['authzen'],
        security: BEARER_SECURITY,
        body: EvaluationRequestBody,
        response: { 200: EvaluationResponse, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      },
    },
    async (request) => evaluate(deps, toDecisionRequest(request.body, ''), { requestId: request.id, name: request.callerName }) as never,
  );

  app.post(
    '/access/v1/evaluations',
    {
      config: { scope: 'decide' },
      schema: {
        summary: 'AuthZEN 1.0 access evaluations (batch; top-level fields are defaults per item; a bad item is that item\'s decision false)',
        tags: ['authzen'],
        security: BEARER_SECURITY,
        body: EvaluationsRequestBody,
        response: { 200: Type.Union([EvaluationsResponse, EvaluationResponse]), ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      const body = request.body;
      const caller: Caller = { requestId: request.id, name: request.callerName };
      const items = body.evaluations ?? [];
      // Without evaluations the request is a single evaluation, answered in the single shape.
      if (items.length === 0) return evaluate(deps, toDecisionRequest(body, ''), caller) as never;
      const defaults: Evaluation = { subject: body.subject, resource: body.resource, action: body.action, context: body.context };
      const semantic = body.options?.evaluations_semantic ?? 'execute_all';
      if (semantic === 'execute_all') {
        return { evaluations: await Promise.all(items.map((item, i) => evaluateItem(deps, item, defaults, i, caller))) } as never;
      }
      // Short-circuit semantics run in order and stop at (and include) the first deny / permit.
      const stopOn = semantic === 'permit_on_first_permit';
      const evaluations: EvaluationResult[] = [];
      for (let i = 0; i < items.length; i++) {
        const result = await evaluateItem(deps, items[i], defaults, i, caller);
        evaluations.push(result);
        if (result.decision === stopOn) break;
      }
      return { evaluations } as never;
    },
  );

  app.get(
    '/.well-known/authzen-configuration',
    {
      schema: {
        summary: 'AuthZEN PDP metadata (the PDP identifier is configured, or derived from the listen address; never from request headers)',
        tags: ['authzen'],
        response: { 200: AuthzenConfiguration },
      },
    },
    async () => {
      const base = (policyDecisionPoint?.() ?? 'http://localhost').replace(/\/+$/, '');
      return {
        policy_decision_point: base,
        access_evaluation_endpoint: `${base}/access/v1/evaluation`,
        access_evaluations_endpoint: `${base}/access/v1/evaluations`,
      };
    },
  );
};
