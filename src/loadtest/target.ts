import type { WorkItem } from './workload.js';

/** What one request came back as: a label (permit / deny / mfa_required, found / notFound) or an error code. */
export type Outcome = { readonly ok: true; readonly label: string } | { readonly ok: false; readonly error: string };

export interface LoadTarget {
  readonly kind: 'http' | 'ldap';
  /** The labels a successful request can have, in report order. */
  readonly labels: readonly string[];
  /** Never rejects: failures come back as { ok: false, error }. */
  send(item: WorkItem): Promise<Outcome>;
  close(): Promise<void>;
}

/** An error's code (ECONNREFUSED, UND_ERR_SOCKET, DG_ERR_DIRECTORY_TIMEOUT ...) or its name. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error instanceof Error ? error.name : 'error';
}
