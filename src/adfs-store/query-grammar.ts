/**
 * The query language of devicegate's AD FS attribute store (the `query = "..."` text of an
 * `issue(store = "devicegate", ...)` rule):
 *
 *   query     = verb ";" columns *( ";" argument )
 *   verb      = name                              ; device | decision (case-insensitive)
 *   columns   = name *( "," name )                ; the table's columns, in the order of the rule's types
 *   argument  = placeholder / literal             ; whitespace around either is ignored
 *   placeholder = "{" 1*2DIGIT "}"                ; the n-th param of the rule (0-based)
 *   literal   = *( any character but ";" "{" "}" )
 *
 * The text is parsed on its own, before any parameter is looked at: a parameter value is only ever
 * a value, so a ";" or "{1}" inside it changes nothing.
 */
import { DEVICE_CLAIM_TYPES } from '../claims/index.js';
import { AdfsStoreError } from './errors.js';

export const QUERY_LIMITS = {
  /** Characters of query text. */
  maxQueryLength: 1024,
  /** Columns in one query. */
  maxColumns: 16,
  /** Arguments after the column list. */
  maxArguments: 8,
  /** Parameters in one request (and the highest placeholder is {15}). */
  maxParams: 16,
  /** Characters of one parameter value. */
  maxParamLength: 1024,
} as const;

/** One device-claim column per device claim type, named by the last segment of its URI. */
export const DEVICE_COLUMNS: ReadonlyMap<string, string> = new Map(
  Object.values(DEVICE_CLAIM_TYPES).map((uri) => [uri.slice(uri.lastIndexOf('/') + 1).toLowerCase(), uri]),
);

export const DECISION_COLUMNS = ['decision', 'reason', 'reasoncode', 'rule', 'devicestatus'] as const;
export type DecisionColumn = (typeof DECISION_COLUMNS)[number];

interface VerbSpec {
  readonly columns: ReadonlySet<string>;
  /** What each argument is, in order; arguments from minArgs on are optional. */
  readonly args: readonly string[];
  readonly minArgs: number;
}

const VERBS = {
  device: { columns: new Set(DEVICE_COLUMNS.keys()), args: ['device ID or thumbprint', 'user primary SID'], minArgs: 1 },
  decision: { columns: new Set<string>(DECISION_COLUMNS), args: ['relying party identifier', 'device ID or thumbprint', 'user primary SID'], minArgs: 3 },
} as const satisfies Record<string, VerbSpec>;

export type Verb = keyof typeof VERBS;
export const VERB_NAMES: readonly Verb[] = Object.keys(VERBS) as Verb[];

export type QueryArgument =
  | { readonly kind: 'placeholder'; readonly index: number; readonly position: number }
  | { readonly kind: 'literal'; readonly value: string; readonly position: number };

export interface ParsedQuery {
  readonly verb: Verb;
  /** Lower-case column names, in query order (the response's `columns`). */
  readonly columns: readonly string[];
  readonly args: readonly QueryArgument[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const PLACEHOLDER = /^\{([0-9]{1,2})\}$/;

/** [text, offset of its first non-blank character] with surrounding whitespace removed. */
function trimmed(text: string, offset: number): [string, number] {
  const lead = text.length - text.trimStart().length;
  return [text.trim(), offset + (lead === text.length ? 0 : lead)];
}

function syntax(message: string, position: number): AdfsStoreError {
  return new AdfsStoreError('DG_ERR_ADFS_QUERY_SYNTAX', `${message} (query position ${position})`, { position });
}

/** Splits on ";" with each part's offset. */
function parts(query: string): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let start = 0;
  for (let i = 0; i <= query.length; i++) {
    if (i === query.length || query[i] === ';') {
      out.push({ text: query.slice(start, i), offset: start });
      start = i + 1;
    }
  }
  return out;
}

function parseArgument(raw: string, offset: number): QueryArgument {
  const [text, at] = trimmed(raw, offset);
  const brace = /[{}]/.exec(text);
  if (brace === null) return { kind: 'literal', value: text, position: at };
  const m = PLACEHOLDER.exec(text);
  if (m === null) {
    throw syntax(`an argument is either a placeholder {n} on its own or literal text without braces; found ${JSON.stringify(text.slice(0, 40))}`, at + (brace.index === 0 ? 0 : brace.index));
  }
  const index = Number(m[1]);
  if (index >= QUERY_LIMITS.maxParams) {
    throw new AdfsStoreError('DG_ERR_ADFS_QUERY_LIMIT', `placeholder {${index}} is beyond the last parameter a query may use ({${QUERY_LIMITS.maxParams - 1}}) (query position ${at})`, { position: at });
  }
  return { kind: 'placeholder', index, position: at };
}

/** Parses query text; throws AdfsStoreError (400) with the position of the first problem. */
export function parseStoreQuery(query: string): ParsedQuery {
  if (typeof query !== 'string') throw new AdfsStoreError('DG_ERR_ADFS_QUERY_SYNTAX', 'query must be a string');
  if (query.length > QUERY_LIMITS.maxQueryLength) {
    throw new AdfsStoreError('DG_ERR_ADFS_QUERY_LIMIT', `query is longer than ${QUERY_LIMITS.maxQueryLength} characters`, { position: QUERY_LIMITS.maxQueryLength });
  }
  const all = parts(query);
  const [verbText, verbAt] = trimmed(all[0]!.text, 0);
  if (verbText === '') throw syntax('query must start with a verb (device or decision)', verbAt);
  if (!NAME.test(verbText)) throw syntax(`"${verbText.slice(0, 40)}" is not a verb name`, verbAt);
  const verbName = verbText.toLowerCase();
  if (!Object.prototype.hasOwnProperty.call(VERBS, verbName)) {
    throw new AdfsStoreError('DG_ERR_ADFS_QUERY_VERB', `unknown verb "${verbText}" (query position ${verbAt}); devicegate serves ${VERB_NAMES.join(', ')}`, { position: verbAt });
  }
  const verb = verbName as Verb;
  const spec: VerbSpec = VERBS[verb];

  const columnPart = all[1];
  if (columnPart === undefined) throw syntax(`"${verb}" needs a column list after the verb: ${verb};<column,...>;...`, query.length);
  const columns: string[] = [];
  let offset = columnPart.offset;
  for (const raw of columnPart.text.split(',')) {
    const [name, at] = trimmed(raw, offset);
    offset += raw.length + 1;
    if (name === '') throw syntax('empty column name', at);
    if (!NAME.test(name)) throw syntax(`"${name.slice(0, 40)}" is not a column name`, at);
    const lower = name.toLowerCase();
    if (!spec.columns.has(lower)) {
      throw new AdfsStoreError('DG_ERR_ADFS_QUERY_COLUMN', `"${verb}" has no column "${name}" (query position ${at}); it has ${[...spec.columns].join(', ')}`, { position: at });
    }
    if (columns.includes(lower)) throw new AdfsStoreError('DG_ERR_ADFS_QUERY_COLUMN', `column "${name}" is listed twice (query position ${at})`, { position: at });
    if (columns.length === QUERY_LIMITS.maxColumns) {
      throw new AdfsStoreError('DG_ERR_ADFS_QUERY_LIMIT', `more than ${QUERY_LIMITS.maxColumns} columns (query position ${at})`, { position: at });
    }
    columns.push(lower);
  }

  const argParts = all.slice(2);
  if (argParts.length > QUERY_LIMITS.maxArguments) {
    const at = argParts[QUERY_LIMITS.maxArguments]!.offset;
    throw new AdfsStoreError('DG_ERR_ADFS_QUERY_LIMIT', `more than ${QUERY_LIMITS.maxArguments} arguments (query position ${at})`, { position: at });
  }
  const args = argParts.map((p) => parseArgument(p.text, p.offset));
  if (args.length < spec.minArgs || args.length > spec.args.length) {
    const want = spec.minArgs === spec.args.length ? `${spec.args.length}` : `${spec.minArgs} to ${spec.args.length}`;
    const at = args.length > spec.args.length ? args[spec.args.length]!.position : query.length;
    throw new AdfsStoreError('DG_ERR_ADFS_QUERY_ARITY', `"${verb}" takes ${want} argument(s) (${spec.args.join('; ')}), found ${args.length} (query position ${at})`, { position: at });
  }
  if (verb === 'device' && args.length < 2) {
    const i = columns.indexOf('isregistereduser');
    if (i >= 0) {
      const at = columnPart.offset + columnPart.text.toLowerCase().indexOf('isregistereduser');
      throw new AdfsStoreError('DG_ERR_ADFS_QUERY_ARITY', `column "isregistereduser" needs the user's primary SID as a second argument: device;...;{0};{1} (query position ${at})`, { position: at });
    }
  }
  return { verb, columns, args };
}

/** What argument `i` of a verb is (for messages). */
export function argumentName(verb: Verb, i: number): string {
  return VERBS[verb].args[i] ?? `argument ${i + 1}`;
}

/**
 * The argument values: placeholders replaced by their parameter, as whole values (never re-parsed).
 * Throws DG_ERR_ADFS_QUERY_PARAMETER for a placeholder without a parameter, DG_ERR_ADFS_QUERY_LIMIT
 * for too many or too long parameters.
 */
export function bindArguments(parsed: ParsedQuery, params: readonly string[]): string[] {
  if (params.length > QUERY_LIMITS.maxParams) {
    throw new AdfsStoreError('DG_ERR_ADFS_QUERY_LIMIT', `more than ${QUERY_LIMITS.maxParams} parameters`, { field: 'params' });
  }
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (typeof p !== 'string') throw new AdfsStoreError('DG_ERR_ADFS_QUERY_VALUE', `parameter ${i} is not a string`, { field: `params.${i}` });
    if (p.length > QUERY_LIMITS.maxParamLength) {
      throw new AdfsStoreError('DG_ERR_ADFS_QUERY_LIMIT', `parameter ${i} is longer than ${QUERY_LIMITS.maxParamLength} characters`, { field: `params.${i}` });
    }
  }
  return parsed.args.map((a) => {
    if (a.kind === 'literal') return a.value;
    const value = params[a.index];
    if (value === undefined) {
      throw new AdfsStoreError('DG_ERR_ADFS_QUERY_PARAMETER', `{${a.index}} has no parameter: the rule passes ${params.length} param(s) (query position ${a.position})`, {
        position: a.position,
      });
    }
    return value;
  });
}

const cache = new Map<string, ParsedQuery>();
const CACHE_SIZE = 256;

/** parseStoreQuery with a small cache: a farm sends the same few rule queries over and over. */
export function parseStoreQueryCached(query: string): ParsedQuery {
  let parsed = cache.get(query);
  if (parsed === undefined) {
    parsed = parseStoreQuery(query);
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(query, Object.freeze(parsed));
  }
  return parsed;
}
