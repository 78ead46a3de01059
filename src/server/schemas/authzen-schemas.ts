import { Type } from 'typebox';
import { ClaimsInput, DecisionDevice, DecisionResult, DeviceInput, ErrorResponse, StringEnum } from './common-schemas.js';

// AuthZEN 1.0: a PDP ignores fields it does not know (the API may be augmented with new parameters), and
// `properties` and `context` are open attribute bags (time, IP, department ...). Unknown fields are
// accepted and ignored everywhere in the AuthZEN shapes; the fields we use are validated. Our own
// nested inputs (context.device, claims) stay strict: a misspelt device key must not read as "no device".
const OPEN_BAG = { additionalProperties: true } as const;

const Subject = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64, description: 'only "user" is evaluated' }),
    id: Type.String({ minLength: 1, maxLength: 1024, description: 'the user (UPN); added as a upn claim unless claims carry one' }),
    properties: Type.Optional(Type.Object({ claims: Type.Optional(ClaimsInput) }, OPEN_BAG)),
  },
  OPEN_BAG,
);

const Resource = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64, description: 'only "relying_party" is evaluated' }),
    id: Type.String({ minLength: 1, maxLength: 2048, description: 'any identifier of the relying party' }),
    properties: Type.Optional(Type.Object({}, OPEN_BAG)),
  },
  OPEN_BAG,
);

const Action = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, description: 'only "access" is evaluated' }),
    properties: Type.Optional(Type.Object({}, OPEN_BAG)),
  },
  OPEN_BAG,
);

const Context = Type.Object(
  {
    device: Type.Optional(DeviceInput),
    claims: Type.Optional(ClaimsInput),
  },
  OPEN_BAG,
);

export const EvaluationRequestBody = Type.Object({ subject: Subject, resource: Resource, action: Action, context: Type.Optional(Context) }, OPEN_BAG);

export const EvaluationsRequestBody = Type.Object(
  {
    subject: Type.Optional(Subject),
    resource: Type.Optional(Resource),
    action: Type.Optional(Action),
    context: Type.Optional(Context),
    // Items are checked one by one (a bad item is that item's `decision: false`, not a 400 for the batch).
    evaluations: Type.Optional(
      Type.Array(Type.Unknown({ description: 'an evaluation { subject?, resource?, action?, context? }; missing keys default to the top-level ones' }), { maxItems: 100 }),
    ),
    options: Type.Optional(
      Type.Object(
        {
          evaluations_semantic: Type.Optional(StringEnum(['execute_all', 'deny_on_first_deny', 'permit_on_first_permit'])),
        },
        OPEN_BAG,
      ),
    ),
  },
  OPEN_BAG,
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
