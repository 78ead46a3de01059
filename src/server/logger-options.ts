/** Paths pino must never print: caller tokens, LDAP passwords, certificate material. */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'password',
  '*.password',
  'bindPassword',
  '*.bindPassword',
  'token',
  '*.token',
  'certificate',
  '*.certificate',
  '*.*.certificate',
  'body.device.certificate',
  'samlToken',
  '*.samlToken',
  'tlsKey',
  '*.tlsKey',
];

export function loggerOptions(level: string): { level: string; redact: { paths: string[]; censor: string } } {
  return { level, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } };
}
