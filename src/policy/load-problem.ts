/**
 * One problem found while loading rules/ (the loader's and `rules lint`'s unit of report). Rule files
 * and JSON files have positions; a missing file or a certificate that does not read has none.
 */
export interface LoadProblem {
  /** Path as shown (relative to the caller's cwd when inside it). */
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly severity: 'error' | 'warning';
  /** A rule diagnostic code (DG_LANG_*); absent for JSON and file problems. */
  readonly code?: string;
  readonly message: string;
  /** The printed form: `file:line:col: severity [CODE]: message` (rule files add the source line and a caret). */
  readonly text: string;
}

export function loadProblem(p: Omit<LoadProblem, 'text'> & { readonly text?: string }): LoadProblem {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  const text = p.text ?? (p.line !== undefined ? `${where}: ${p.severity}${p.code !== undefined ? ` ${p.code}` : ''}: ${p.message}` : `${where}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`);
  return { ...p, text };
}
