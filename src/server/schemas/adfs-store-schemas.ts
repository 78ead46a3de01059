import { Type } from 'typebox';
import { QUERY_LIMITS } from '../../adfs-store/index.js';

const LABEL = { maxLength: 256, pattern: '^[\\x20-\\x7E]*$' };

export const AttributeStoreQueryBody = Type.Object(
  {
    query: Type.String({
      minLength: 1,
      maxLength: QUERY_LIMITS.maxQueryLength,
      description: 'the rule\'s raw query text, unsubstituted: "<verb>;<column,...>;<argument>;..." (e.g. "device;iscompliant,trusttype;{0}")',
    }),
    params: Type.Array(Type.String({ maxLength: QUERY_LIMITS.maxParamLength }), {
      maxItems: QUERY_LIMITS.maxParams,
      description: "the rule's param values in order; {n} in the query is params[n], bound as a whole value after the query is parsed",
    }),
    store: Type.Optional(Type.String({ ...LABEL, description: 'the AD FS store name (logs only)' })),
    node: Type.Optional(Type.String({ ...LABEL, description: 'the AD FS farm node (logs only)' })),
    requestId: Type.Optional(Type.String({ ...LABEL, description: 'the shim\'s request ID (logs only)' })),
  },
  { additionalProperties: false },
);

export const AttributeStoreQueryResponse = Type.Object({
  columns: Type.Array(Type.String(), { description: 'the columns the query lists, in order (lower case)' }),
  rows: Type.Array(Type.Array(Type.String()), { description: 'zero or more rows, each exactly columns.length strings' }),
});

/** The error body, plus where in the query text the problem starts. */
export const AttributeStoreErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'DG_ERR_* code' }),
      message: Type.String(),
      field: Type.Optional(Type.String({ description: 'the request field the error concerns (query, params.N)' })),
      position: Type.Optional(Type.Integer({ minimum: 0, description: '0-based offset in the query text (query errors)' })),
    }),
  },
  { description: 'Every error response of this route' },
);
