import type { Expression, PropertyRef, Call } from './ast.js';

/** Calls `visit` for every PropertyRef and Call inside an expression (depth first). */
export function walkExpression(e: Expression, onRef: (r: PropertyRef) => void, onCall?: (c: Call) => void): void {
  switch (e.kind) {
    case 'String':
      return;
    case 'PropertyRef':
      onRef(e);
      return;
    case 'Concat':
      for (const p of e.parts) walkExpression(p, onRef, onCall);
      return;
    case 'Call':
      onCall?.(e);
      for (const a of e.args) walkExpression(a, onRef, onCall);
      return;
  }
}

export function tagKey(tag: string, caseSensitive: boolean): string {
  return caseSensitive ? tag : tag.toLowerCase();
}
