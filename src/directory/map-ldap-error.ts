import { InvalidCredentialsError, ResultCodeError, TimeLimitExceededError } from 'ldapts';
import { DirectoryError } from './errors.js';

/** True for failures worth trying on another DC (socket trouble, timeouts, busy/unavailable servers). */
export function isRetriable(error: unknown): boolean {
  if (error instanceof DirectoryError) return error.code === 'DG_ERR_DIRECTORY_UNAVAILABLE' || error.code === 'DG_ERR_DIRECTORY_TIMEOUT' || error.code === 'DG_ERR_DIRECTORY_TLS';
  if (error instanceof ResultCodeError) return error.code === 51 || error.code === 52 || error.code === 3; // busy, unavailable, timeLimitExceeded
  return true;
}

function socketReason(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string') return code;
  const msg = error.message;
  if (/timed out|timeout/i.test(msg)) return 'timeout';
  if (/closed before message response|Socket connection not established|Connection closed/i.test(msg)) return 'connection closed';
  if (/Socket error/i.test(msg)) return 'socket error';
  if (/certificate|self[- ]signed|altnames|CERT_|unable to verify/i.test(msg)) return 'certificate rejected';
  return 'connection failed';
}

/**
 * Any failure from ldapts / the socket -> a DirectoryError whose message names the server and the
 * reason, never the password, a stack trace or raw LDAP diagnostics.
 */
export function mapLdapError(error: unknown, url: string, phase: 'connect' | 'bind' | 'search', bindDn?: string): DirectoryError {
  if (error instanceof DirectoryError) return error;
  if (phase === 'bind' && error instanceof InvalidCredentialsError) {
    return new DirectoryError('DG_ERR_DIRECTORY_BIND', `bind as ${bindDn ?? '(anonymous)'} refused by ${url}: invalid credentials`);
  }
  if (error instanceof TimeLimitExceededError) return new DirectoryError('DG_ERR_DIRECTORY_TIMEOUT', `${url}: server time limit exceeded`);
  if (error instanceof ResultCodeError) {
    const name = error.constructor.name.replace(/Error$/, '');
    if (phase === 'bind') return new DirectoryError('DG_ERR_DIRECTORY_BIND', `bind as ${bindDn ?? '(anonymous)'} refused by ${url}: ${name} (${error.code})`);
    if (error.code === 51 || error.code === 52) return new DirectoryError('DG_ERR_DIRECTORY_UNAVAILABLE', `${url}: server ${name} (${error.code})`);
    return new DirectoryError('DG_ERR_DIRECTORY_SEARCH', `${url}: ${phase} failed: ${name} (${error.code})`);
  }
  const reason = error instanceof Error ? socketReason(error) : 'connection failed';
  if (reason === 'timeout') return new DirectoryError('DG_ERR_DIRECTORY_TIMEOUT', `${url}: no answer within the timeout (${phase})`);
  if (reason === 'certificate rejected' || /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL)/.test(reason)) {
    return new DirectoryError('DG_ERR_DIRECTORY_TLS', `${url}: TLS failed (${reason}); give --ca-file, or --tls-insecure to skip checks`);
  }
  return new DirectoryError('DG_ERR_DIRECTORY_UNAVAILABLE', `${url}: ${reason} (${phase})`);
}
