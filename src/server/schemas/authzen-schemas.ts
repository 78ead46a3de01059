import { Type } from 'typebox';
import { ClaimsInput, DecisionDevice, DecisionResult, DeviceInput, ErrorResponse, StringEnum } from './common-schemas.js';

// AuthZEN 1.0 makes `properties` and `context` open attribute bags: a PEP may send attributes this PDP
// does not use (time, IP, department ...). Those are accepted and ignored; the ones we use are validated.
// Everything else stays strict (unknown top-level fields are 400s).
const OPEN_BAG = { additionalProperties: true } as const;

const Subject = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64, description: 'only "user" is evaluated' }),
    id: Type.String({ minLength: 1, maxLength: 1024, description: 'the user (UPN); added as a upn claim unless claims carry one' }),
    properties: Type.Optional(Type.Object({ claims: Type.Optional(ClaimsInput) }, OPEN_BAG)),
  },
  { additionalProperties: false },
);

const Resource = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64, description: 'only "relying_party" is evaluated' }),
    id: Type.String({ minLength: 1, maxLength: 2048, description: 'any identifier of the relying party' }),
    properties: Type.Optional(Type.Object({}, OPEN_BAG)),
  },
  { additionalProperties: false },
);

const Action = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, description: 'only "access" is evaluated' }),
    properties: Type.Optional(Type.Object({}, OPEN_BAG)),
  },
  { additionalProperties: false },
);

const Context = Type.Object(
  {
    device: Type.Optional(DeviceInput),
    claims: Type.Optional(ClaimsInput),
  },
  OPEN_BAG,
);

export const EvaluationRequestBody = Type.Object(
  { subject: Subject, resource: Resource, action: Action, context: Type.Optional(Context) },
  { additionalProperties: false },
);

const EvaluationItem = Type.Object(
  { subject: Type.Optional(Subject), resource: Type.Optional(Resource), action: Type.Optional(Action), context: Type.Optional(Context) },
  { additionalProperties: false },
);

export const EvaluationsRequestBody = Type.Object(
  {
    subject: Type.Optional(Subject),
    resource: Type.Optional(Resource),
    action: Type.Optional(Action),
    context: Type.Optional(Context),
    evaluations: Type.Optional(Type.Array(EvaluationItem, { maxItems: 100 })),
    options: Type.Optional(
      Type.Object(
        {
          evaluations_semantic: Type.Optional(StringEnum(['execute_all', 'deny_on_first_deny', 'permit_on_first_permit'])),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const EvaluationResponse = Type.Object({
  decision: Type.Boolean(),
  context: Type.Object({
    decision: Type.Optional(DecisionResult),
    reason_admin: Type.Optional(Type.Object({ code: Type.String(), rule: Type.Optional(Type.String()), message: Type.String() })),
    device: Type.Optional(DecisionDevice),
    policy_revision: Type.Optional(Type.String()),
    /** Batch only: why this one evaluation could not be made. */
    error: Type.Optional(Type.Object({ status: Type.Integer(), code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) })),
  }),
});

export const EvaluationsResponse = Type.Object({ evaluations: Type.Array(EvaluationResponse) });

export const AuthzenConfiguration = Type.Object({
  policy_decision_point: Type.String(),
  access_evaluation_endpoint: Type.String(),
  access_evaluations_endpoint: Type.String(),
});

export { ErrorResponse };
