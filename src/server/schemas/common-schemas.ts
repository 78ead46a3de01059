import { Type } from 'typebox';

/** Limits on strings and lists: a request can never make us hold more than the body limit allows anyway. */
const SHORT = 1024;

export const ClaimInput = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: SHORT }),
    value: Type.String({ maxLength: 16384 }),
    valueType: Type.Optional(Type.String({ minLength: 1, maxLength: SHORT })),
    issuer: Type.Optional(Type.String({ minLength: 1, maxLength: SHORT })),
    originalIssuer: Type.Optional(Type.String({ minLength: 1, maxLength: SHORT })),
    properties: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: SHORT }))),
  },
  { additionalProperties: false, description: 'A claim; valueType, issuer and originalIssuer default as in AD FS' },
);

export const ClaimsInput = Type.Array(ClaimInput, { maxItems: 512 });

export const Claim = Type.Object({
  type: Type.String(),
  value: Type.String(),
  valueType: Type.String(),
  issuer: Type.String(),
  originalIssuer: Type.String(),
  properties: Type.Record(Type.String(), Type.String()),
});

/** Exactly one way to name a device. One object with min/maxProperties 1 gives clearer errors than anyOf. */
export const DeviceInput = Type.Object(
  {
    certificate: Type.Optional(Type.String({ minLength: 1, maxLength: 32768, description: 'PEM or base64 DER device certificate' })),
    thumbprint: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'SHA-1 thumbprint: 40 hex digits, colons or spaces allowed' })),
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'msDS-DeviceID as a GUID' })),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'exactly one of certificate, thumbprint, deviceId' },
);

/**
 * `{ type: string, enum }` rather than a union of literals: TypeBox unions become anyOf, which
 * fast-json-stringify can only serialize by running a validator per branch on every response.
 */
function StringEnum<const T extends readonly string[]>(values: T, description?: string) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
}

export const DeviceStatus = StringEnum(['not_presented', 'unknown', 'disabled', 'stale', 'untrusted_certificate', 'directory_unavailable', 'untrusted_identifier', 'ambiguous', 'known']);
export const DeviceProof = StringEnum(['certificate', 'identifier'], 'how the caller identified the device (absent when none was presented)');
export const DeviceSource = StringEnum(['cache', 'directory', 'stale_cache', 'none']);
export const DecisionResult = StringEnum(['permit', 'deny', 'mfa_required']);
export { StringEnum };

export const Reason = Type.Object({
  code: Type.String(),
  rule: Type.Optional(Type.String()),
  message: Type.String(),
});

export const DecisionDevice = Type.Object({
  status: DeviceStatus,
  id: Type.Optional(Type.String()),
  displayName: Type.Optional(Type.String()),
  trustType: Type.Optional(Type.String()),
  managed: Type.Optional(Type.Boolean()),
  compliant: Type.Optional(Type.Boolean()),
  source: DeviceSource,
  proof: Type.Optional(DeviceProof),
});

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'DG_ERR_* code' }),
      message: Type.String(),
      field: Type.Optional(Type.String({ description: 'the request field the error concerns' })),
      diagnostics: Type.Optional(Type.Array(Type.String(), { description: 'rule diagnostics (reload only)' })),
    }),
  },
  { description: 'Every error response' },
);

/** The 4xx/5xx responses a route can give, for docs and for serializing error bodies. */
export function errorResponses(...codes: number[]): Record<number, typeof ErrorResponse> {
  const out: Record<number, typeof ErrorResponse> = {};
  for (const code of codes) out[code] = ErrorResponse;
  return out;
}

export const BEARER_SECURITY: readonly { readonly [scheme: string]: readonly string[] }[] = [{ bearer: [] }];
