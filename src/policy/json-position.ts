import { findNodeAtLocation, parseTree, type Node as JsonNode } from 'jsonc-parser';

/** A key path into a JSON document: ["accessControlPolicy", "parameters", "GroupParameter", 0]. */
export type JsonPath = readonly (string | number)[];

/** A problem found in a JSON file, by where it is (the key itself, or its value). */
export interface JsonIssue {
  readonly path: JsonPath;
  readonly message: string;
  /** Point at the property's key (unknown keys) instead of its value. */
  readonly at?: 'key' | 'value';
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** 1-based line and column (UTF-16 units) of an offset. */
export function positionAt(text: string, offset: number): Position {
  let line = 1;
  let start = 0;
  const end = Math.max(0, Math.min(offset, text.length));
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: end - start + 1 };
}

export type ParsedJson = { readonly ok: true; readonly value: unknown; readonly locate: (issue: JsonIssue) => Position } | { readonly ok: false; readonly message: string; readonly position: Position };

/**
 * JSON.parse (the strict parser that decides validity) plus jsonc-parser's tree for positions, so a
 * problem found in the parsed value can be shown at file:line:col.
 */
export function parseJsonWithPositions(text: string): ParsedJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /at position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : text.length;
    return { ok: false, message: message.replace(/\s*\(line \d+ column \d+\)$/, ''), position: positionAt(text, offset) };
  }
  let tree: JsonNode | undefined;
  const locate = (issue: JsonIssue): Position => {
    tree ??= parseTree(text) ?? { type: 'null', offset: 0, length: 0 } as JsonNode;
    // The deepest node that exists on the path (a missing key is shown at its parent).
    for (let n = issue.path.length; n >= 0; n--) {
      const node = findNodeAtLocation(tree, [...issue.path.slice(0, n)]);
      if (node === undefined) continue;
      const keyNode = issue.at === 'key' && n === issue.path.length && node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
      return positionAt(text, (keyNode ?? node).offset);
    }
    return { line: 1, column: 1 };
  };
  return { ok: true, value, locate };
}
