import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { failClosedReasonOf, type Decision, type DecisionEngine, type DecisionRequest } from '../../policy/index.js';
import { makeClaim, type Claim } from '../../language/index.js';
import { toClaims, toDevice, type ClaimInputValue, type DeviceInputValue } from '../decision-input.js';
import { mapError, ServerError } from '../errors.js';
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
import { Type } from 'typebox';
import type { RouteOptions } from './decisions-route.js';
import { performance } from 'node:perf_hooks';

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

async function evaluate(engine: DecisionEngine, metrics: ServerMetrics, gate: WorkGate, request: DecisionRequest): Promise<EvaluationResult> {
  const startedAt = performance.now();
  // Each evaluation of a batch takes its own slot: a batch of 100 is 100 units of work.
  gate.enter();
  let decision: Decision;
  try {
    decision = await engine.decide(request);
  } finally {
    gate.leave();
  }
  metrics.observeDecision(decision.decision, startedAt, failClosedReasonOf(decision));
  return toEvaluationResult(decision);
}

/** In a batch, one item's 4xx/503 is that item's `decision: false`; a 500 still fails the request. */
async function evaluateItem(engine: DecisionEngine, metrics: ServerMetrics, gate: WorkGate, request: DecisionRequest): Promise<EvaluationResult> {
  try {
    return await evaluate(engine, metrics, gate, request);
  } catch (error) {
    const mapped = mapError(error);
    if (mapped.unexpected) throw error;
    metrics.observeDecisionError(mapped.statusCode);
    return { decision: false, context: { error: { status: mapped.statusCode, ...mapped.body.error } } };
  }
}

export const authzenRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { engine, metrics, gate }) => {
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
    async (request) => evaluate(engine, metrics, gate, toDecisionRequest(request.body, '')) as never,
  );

  app.post(
    '/access/v1/evaluations',
    {
      config: { scope: 'decide' },
      schema: {
        summary: 'AuthZEN 1.0 access evaluations (batch; top-level fields are defaults per item)',
        tags: ['authzen'],
        security: BEARER_SECURITY,
        body: EvaluationsRequestBody,
        response: { 200: Type.Union([EvaluationsResponse, EvaluationResponse]), ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      const body = request.body;
      const items = body.evaluations ?? [];
      // Without evaluations the request is a single evaluation, answered in the single shape.
      if (items.length === 0) return evaluate(engine, metrics, gate, toDecisionRequest(body, '')) as never;
      // Validate every item first: bad input is a 400 for the whole request, never a partial answer.
      const requests = items.map((item, i) =>
        toDecisionRequest(
          {
            subject: item.subject ?? body.subject,
            resource: item.resource ?? body.resource,
            action: item.action ?? body.action,
            context: item.context ?? body.context,
          },
          `evaluations.${i}.`,
        ),
      );
      const semantic = body.options?.evaluations_semantic ?? 'execute_all';
      if (semantic === 'execute_all') {
        return { evaluations: await Promise.all(requests.map((r) => evaluateItem(engine, metrics, gate, r))) } as never;
      }
      const stopOn = semantic === 'deny_on_first_deny' ? false : true;
      const evaluations: EvaluationResult[] = [];
      for (const r of requests) {
        const result = await evaluateItem(engine, metrics, gate, r);
        evaluations.push(result);
        if (result.decision === stopOn) break;
      }
      return { evaluations } as never;
    },
  );

  app.get(
    '/.well-known/authzen-configuration',
    { schema: { summary: 'AuthZEN PDP metadata', tags: ['authzen'], response: { 200: AuthzenConfiguration } } },
    async (request) => {
      const base = `${request.protocol}://${request.host}`;
      return {
        policy_decision_point: base,
        access_evaluation_endpoint: `${base}/access/v1/evaluation`,
        access_evaluations_endpoint: `${base}/access/v1/evaluations`,
      };
    },
  );
};
