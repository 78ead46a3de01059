import { Type } from 'typebox';
import { Claim, ClaimsInput, DecisionDevice, DecisionResult, DeviceInput, Reason, StringEnum } from './common-schemas.js';

export const DecisionRequestBody = Type.Object(
  {
    relyingParty: Type.String({ minLength: 1, maxLength: 2048, description: 'any identifier of the relying party' }),
    device: Type.Optional(DeviceInput),
    claims: Type.Optional(ClaimsInput),
    samlToken: Type.Optional(Type.String({ maxLength: 60000, description: 'base64 SAML 2.0 assertion or response from AD FS; verified against farm.json samlTrustedSigners (bound to their issuers), one use per assertion; its claims are the user\'s claims (not combinable with "claims")' })),
    explain: Type.Optional(Type.Boolean({ description: 'include the rule trace' })),
    include: Type.Optional(Type.Array(StringEnum(['issuedClaims']), { maxItems: 1, uniqueItems: true })),
    simulate: Type.Optional(Type.Boolean({ description: 'a what-if decision: the answer carries "simulation" and is never an enforcement decision; needed for "at"' })),
    at: Type.Optional(Type.String({ maxLength: 64, description: 'with "simulate": true, decide as of this RFC 3339 date-time (certificate validity, staleness, SAML token times)' })),
  },
  { additionalProperties: false },
);

export const TraceEntry = Type.Object({
  stage: Type.String(),
  rule: Type.String(),
  fired: Type.Boolean(),
  produced: Type.Optional(Type.Array(Claim)),
  note: Type.Optional(Type.String()),
});

export const DecisionResponse = Type.Object({
  /** Present only on what-if answers (simulate + at): never an enforcement decision. */
  simulation: Type.Optional(Type.Object({ at: Type.String({ description: 'the time the what-if decision was made as of' }) })),
  decision: DecisionResult,
  relyingParty: Type.Object({ id: Type.String(), name: Type.String() }),
  device: DecisionDevice,
  reason: Reason,
  policyRevision: Type.String(),
  enforcement: Type.Optional(Type.Object({ mode: Type.String(), decision: DecisionResult, reason: Reason })),
  trace: Type.Optional(Type.Array(TraceEntry)),
  issuedClaims: Type.Optional(Type.Array(Claim)),
  notes: Type.Optional(Type.Array(Type.String(), { description: 'issuance rules skipped because they call an attribute store devicegate cannot serve' })),
});
