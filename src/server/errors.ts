/**
 * The server's error catalogue and the one mapping from any thrown value to the wire shape
 * `{ "error": { "code", "message", "field"? } }`. Nothing else in src/server builds error bodies.
 */

export type ServerErrorCode =
  | 'DG_ERR_SERVER_INVALID_REQUEST'
  | 'DG_ERR_SERVER_UNKNOWN_FIELD'
  | 'DG_ERR_SERVER_BAD_THUMBPRINT'
  | 'DG_ERR_SERVER_UNSUPPORTED_SUBJECT'
  | 'DG_ERR_SERVER_UNAUTHENTICATED'
  | 'DG_ERR_SERVER_FORBIDDEN'
  | 'DG_ERR_SERVER_NOT_FOUND'
  | 'DG_ERR_SERVER_DEVICE_NOT_FOUND'
  | 'DG_ERR_SERVER_RELOAD_FAILED'
  | 'DG_ERR_SERVER_DIRECTORY_UNAVAILABLE'
  | 'DG_ERR_SERVER_BODY_TOO_LARGE'
  | 'DG_ERR_SERVER_UNSUPPORTED_MEDIA_TYPE'
  | 'DG_ERR_SERVER_RATE_LIMITED'
  | 'DG_ERR_SERVER_OVERLOADED'
  | 'DG_ERR_SERVER_CLOSING'
  | 'DG_ERR_SERVER_CONFIG'
  | 'DG_ERR_SERVER_INTERNAL';

/** Every code with its HTTP status and what it means (pinned against docs by test/server/errors.test.ts). */
export const SERVER_ERRORS: Readonly<Record<ServerErrorCode, { readonly statusCode: number; readonly meaning: string }>> = {
  DG_ERR_SERVER_INVALID_REQUEST: { statusCode: 400, meaning: 'the request body or parameters do not match the schema' },
  DG_ERR_SERVER_UNKNOWN_FIELD: { statusCode: 400, meaning: 'the request carries a field the schema does not define' },
  DG_ERR_SERVER_BAD_THUMBPRINT: { statusCode: 400, meaning: 'a thumbprint is not 40 hex digits' },
  DG_ERR_SERVER_UNSUPPORTED_SUBJECT: { statusCode: 400, meaning: 'an AuthZEN subject, resource or action this PDP does not evaluate' },
  DG_ERR_SERVER_UNAUTHENTICATED: { statusCode: 401, meaning: 'no valid bearer token or client certificate' },
  DG_ERR_SERVER_FORBIDDEN: { statusCode: 403, meaning: 'the caller lacks the scope the route needs' },
  DG_ERR_SERVER_NOT_FOUND: { statusCode: 404, meaning: 'no such route' },
  DG_ERR_SERVER_DEVICE_NOT_FOUND: { statusCode: 404, meaning: 'no device object matches' },
  DG_ERR_SERVER_RELOAD_FAILED: { statusCode: 422, meaning: 'the rules on disk are broken; the running rules and revision stay' },
  DG_ERR_SERVER_DIRECTORY_UNAVAILABLE: { statusCode: 503, meaning: 'the directory could not be reached' },
  DG_ERR_SERVER_BODY_TOO_LARGE: { statusCode: 413, meaning: 'the request body exceeds the body limit' },
  DG_ERR_SERVER_UNSUPPORTED_MEDIA_TYPE: { statusCode: 415, meaning: 'the request body is not application/json' },
  DG_ERR_SERVER_RATE_LIMITED: { statusCode: 429, meaning: 'the caller exceeded its request rate' },
  DG_ERR_SERVER_OVERLOADED: { statusCode: 503, meaning: 'the process is under pressure (event-loop delay) or the bound on decisions in flight is full; retry after the Retry-After delay' },
  DG_ERR_SERVER_CLOSING: { statusCode: 503, meaning: 'the server is shutting down' },
  DG_ERR_SERVER_CONFIG: { statusCode: 500, meaning: 'the server configuration is invalid (start-up only)' },
  DG_ERR_SERVER_INTERNAL: { statusCode: 500, meaning: 'an unexpected error; details are in the log only' },
};

export class ServerError extends Error {
  override readonly name = 'ServerError';
  readonly statusCode: number;
  constructor(
    readonly code: ServerErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.statusCode = SERVER_ERRORS[code].statusCode;
  }
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string; readonly diagnostics?: readonly string[] };
}

export interface MappedError {
  readonly statusCode: number;
  readonly body: ErrorBody;
  /** True when the cause is ours (a 5xx we did not mean): log it with its stack. */
  readonly unexpected: boolean;
}

/** Fastify's own error codes that are the caller's fault, and what we call them. */
const FASTIFY_CODES: Readonly<Record<string, ServerErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'DG_ERR_SERVER_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'DG_ERR_SERVER_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'DG_ERR_SERVER_INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'DG_ERR_SERVER_INVALID_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'DG_ERR_SERVER_INVALID_REQUEST',
  FST_ERR_CTP_INVALID_TYPE: 'DG_ERR_SERVER_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_TYPE: 'DG_ERR_SERVER_UNSUPPORTED_MEDIA_TYPE',
};

const FASTIFY_MESSAGES: Partial<Record<ServerErrorCode, string>> = {
  DG_ERR_SERVER_BODY_TOO_LARGE: 'request body is too large',
  DG_ERR_SERVER_UNSUPPORTED_MEDIA_TYPE: 'request body must be application/json',
  DG_ERR_SERVER_OVERLOADED: 'the server is overloaded; retry later',
};

interface AjvError {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly message?: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** `/device/thumbprint` + `additionalProperty: foo` -> `device.thumbprint.foo`. */
function fieldOf(error: AjvError): string | undefined {
  const parts = (error.instancePath ?? '').split('/').filter((p) => p !== '');
  const params = error.params ?? {};
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') parts.push(params.additionalProperty);
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') parts.push(params.missingProperty);
  return parts.length > 0 ? parts.join('.') : undefined;
}

export function validationError(errors: readonly AjvError[], context: string): ServerError {
  const first = errors[0] ?? {};
  const field = fieldOf(first);
  const where = field ?? context;
  if (first.keyword === 'additionalProperties') return new ServerError('DG_ERR_SERVER_UNKNOWN_FIELD', `unknown field "${where}"`, where);
  if (first.keyword === 'required') return new ServerError('DG_ERR_SERVER_INVALID_REQUEST', `missing required field "${where}"`, where);
  if (first.keyword === 'minProperties' || first.keyword === 'maxProperties') {
    return new ServerError('DG_ERR_SERVER_INVALID_REQUEST', `"${where}" must name exactly one of its fields`, where);
  }
  // Ajv messages describe the schema (types, limits, enums), never the value: safe to echo.
  return new ServerError('DG_ERR_SERVER_INVALID_REQUEST', `"${where}" ${first.message ?? 'is invalid'}`, where);
}

function isCoded(error: unknown): error is Error & { code: string; statusCode?: unknown; field?: unknown; diagnostics?: unknown } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

function diagnosticsOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.slice(0, 50).map((d) => (typeof d === 'string' ? d : formatDiagnostic(d)));
}

function formatDiagnostic(d: unknown): string {
  if (d && typeof d === 'object') {
    const o = d as Record<string, unknown>;
    if (typeof o.text === 'string') return o.text;
    const start = (o.start ?? o.location) as Record<string, unknown> | undefined;
    const file = typeof o.file === 'string' ? o.file : '';
    const pos = start && typeof start.line === 'number' ? `:${start.line}:${String(start.column ?? 1)}` : '';
    const code = typeof o.code === 'string' ? `${o.code}: ` : '';
    const message = typeof o.message === 'string' ? o.message : 'invalid';
    return `${file}${pos}${file || pos ? ': ' : ''}${code}${message}`;
  }
  return String(d);
}

function body(code: string, message: string, field?: unknown, diagnostics?: string[]): ErrorBody {
  const error: { code: string; message: string; field?: string; diagnostics?: string[] } = { code, message };
  if (typeof field === 'string' && field !== '') error.field = field;
  if (diagnostics) error.diagnostics = diagnostics;
  return { error };
}

/** Any thrown value -> status + body. Bad input is never a 5xx; a 5xx never carries the cause's text. */
export function mapError(error: unknown): MappedError {
  if (error instanceof ServerError) {
    const unexpected = error.statusCode >= 500 && error.code === 'DG_ERR_SERVER_INTERNAL';
    const diagnostics = diagnosticsOf((error as { diagnostics?: unknown }).diagnostics);
    return { statusCode: error.statusCode, body: body(error.code, error.message, error.field, diagnostics), unexpected };
  }
  if (error instanceof Error) {
    const validation = (error as { validation?: unknown }).validation;
    if (Array.isArray(validation)) {
      const context = String((error as { validationContext?: unknown }).validationContext ?? 'body');
      const mapped = validationError(validation as AjvError[], context);
      return { statusCode: 400, body: body(mapped.code, mapped.message, mapped.field), unexpected: false };
    }
  }
  if (isCoded(error)) {
    const code = error.code;
    if (code.startsWith('DG_ERR_')) {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
      if (status >= 500 && status !== 503) {
        return { statusCode: 500, body: body('DG_ERR_SERVER_INTERNAL', 'internal error'), unexpected: true };
      }
      return { statusCode: status, body: body(code, error.message, error.field, diagnosticsOf(error.diagnostics)), unexpected: false };
    }
    const ours = FASTIFY_CODES[code];
    if (ours) {
      const message = FASTIFY_MESSAGES[ours] ?? error.message;
      return { statusCode: SERVER_ERRORS[ours].statusCode, body: body(ours, message), unexpected: false };
    }
  }
  // Other client errors Fastify raises (bad JSON, bad URL ...): keep the 4xx, use our code.
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = error instanceof Error && error.message.length < 200 ? error.message : 'bad request';
    return { statusCode: status, body: body(status === 404 ? 'DG_ERR_SERVER_NOT_FOUND' : 'DG_ERR_SERVER_INVALID_REQUEST', message), unexpected: false };
  }
  return { statusCode: 500, body: body('DG_ERR_SERVER_INTERNAL', 'internal error'), unexpected: true };
}
