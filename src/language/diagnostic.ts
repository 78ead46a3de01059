/** 1-based line and column (columns count UTF-16 code units), plus the 0-based offset. */
export interface SourcePosition {
  line: number;
  column: number;
  offset: number;
}

export interface Diagnostic {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  file?: string;
  start: SourcePosition;
  end: SourcePosition;
}

/** Offsets at which each line starts; CR, LF and CRLF each end one line. */
export function computeLineStarts(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) {
    const ch = source.charCodeAt(i);
    if (ch === 13) {
      if (source.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (ch === 10) {
      starts.push(i + 1);
    }
  }
  return starts;
}

/** Line/column for an offset: computed only when a diagnostic is made, never on the evaluation path. */
export function positionAt(lineStarts: readonly number[], offset: number): SourcePosition {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lineStarts[lo]! + 1, offset };
}

export function makeDiagnostic(
  lineStarts: readonly number[],
  file: string | undefined,
  code: string,
  severity: 'error' | 'warning',
  message: string,
  start: number,
  end: number,
): Diagnostic {
  const d: Diagnostic = { code, severity, message, start: positionAt(lineStarts, start), end: positionAt(lineStarts, Math.max(start, end)) };
  if (file !== undefined) d.file = file;
  return d;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Orders diagnostics by position (stable for equal offsets). */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.start.offset - b.start.offset);
}

/**
 * `file:line:col: error CODE: message`; with the source, the offending line follows with a caret
 * under the start (and tildes to the end when the span stays on that line).
 */
export function formatDiagnostic(d: Diagnostic, source?: string): string {
  const head = `${d.file ?? '<input>'}:${d.start.line}:${d.start.column}: ${d.severity} ${d.code}: ${d.message}`;
  if (source === undefined) return head;
  const lineText = source.split(/\r\n|\r|\n/)[d.start.line - 1];
  if (lineText === undefined) return head;
  const width = d.end.line === d.start.line ? Math.max(1, d.end.column - d.start.column) : 1;
  const pad = lineText.slice(0, d.start.column - 1).replace(/[^\t]/g, ' ');
  return `${head}\n  ${lineText}\n  ${pad}^${'~'.repeat(Math.min(width, Math.max(1, lineText.length - d.start.column + 1)) - 1)}`;
}
