import type { Claim } from './claim.js';
import { equalsIgnoreCase, internalize } from './compile-expression.js';

const NONE: readonly number[] = Object.freeze([]);
const CACHE_LIMIT = 4096;
const CACHEABLE_LENGTH = 1024;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/**
 * Rule-set-wide ids for the claim types named by `Type == "literal"` constraints, so that selectors
 * read only the claims of their type instead of testing every claim's type on every rule.
 * A claim type belongs to id k exactly when the rule set's Type comparison says it equals literal k
 * (equalsIgnoreCase by default, === when ordinal); with odd non-ASCII folds one type may belong to
 * several ids, and then it is listed in each.
 */
export class TypeKeys {
  /** One literal per id (ASCII literals that differ only in case share an id: they match the same types). */
  private readonly literals: string[] = [];
  private readonly byKey = new Map<string, number>();
  /** Ids of non-ASCII literals: an ASCII type may still equal them case-insensitively (e.g. U+212A KELVIN SIGN). */
  private readonly nonAscii: number[] = [];
  private readonly cache = new Map<string, readonly number[]>();

  constructor(readonly ignoreCase: boolean) {}

  get size(): number {
    return this.literals.length;
  }

  /** Compile time: the id of a `Type ==` literal. */
  idOf(literal: string): number {
    const ascii = isAscii(literal);
    const key = this.ignoreCase && ascii ? literal.toLowerCase() : literal;
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.literals.length;
      this.literals.push(internalize(literal));
      this.byKey.set(key, id);
      if (this.ignoreCase && !ascii) this.nonAscii.push(id);
      this.cache.clear();
    }
    return id;
  }

  /** The ids whose literal `type` equals; cached per type string (bounded). */
  idsOf(type: string): readonly number[] {
    let ids = this.cache.get(type);
    if (ids === undefined) {
      ids = this.compute(type);
      if (type.length <= CACHEABLE_LENGTH) {
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(type, ids);
      }
    }
    return ids;
  }

  private compute(type: string): readonly number[] {
    if (!this.ignoreCase) {
      const id = this.byKey.get(type);
      return id === undefined ? NONE : [id];
    }
    const found: number[] = [];
    if (isAscii(type)) {
      // ASCII against ASCII: equalsIgnoreCase is exactly equality of the lower-cased strings.
      const id = this.byKey.get(type.toLowerCase());
      if (id !== undefined) found.push(id);
      for (const k of this.nonAscii) if (equalsIgnoreCase(type, this.literals[k]!)) found.push(k);
      found.sort((a, b) => a - b);
    } else {
      for (let k = 0; k < this.literals.length; k++) if (equalsIgnoreCase(type, this.literals[k]!)) found.push(k);
    }
    return found.length === 0 ? NONE : found;
  }
}

/**
 * The working set's claims grouped by type id, as linked lists of working-set positions in working-set
 * order (typed arrays: reusable without holding on to claims, and cleared without resizing anything).
 * The evaluator adds a rule's output only after the rule has run, so a rule sees exactly working[0..n).
 *   for (let e = index.head[key]!; e >= 0; e = index.next[e]!) ... working[index.at[e]!]
 */
export class ClaimIndex {
  /** first entry of each type id's list, -1 when empty */
  readonly head: Int32Array;
  /** number of claims of each type id */
  readonly count: Int32Array;
  private readonly tail: Int32Array;
  /** per entry: the claim's position in the working set, and the next entry of the same list (-1 ends it) */
  at: Int32Array;
  next: Int32Array;
  private used = 0;

  constructor(private readonly keys: TypeKeys) {
    this.head = new Int32Array(keys.size).fill(-1);
    this.count = new Int32Array(keys.size);
    this.tail = new Int32Array(keys.size);
    this.at = new Int32Array(32);
    this.next = new Int32Array(32);
  }

  /** Indexes the claim at working-set position `position`. */
  add(claim: Claim, position: number): void {
    const ids = this.keys.idsOf(claim.type);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const e = this.used++;
      if (e === this.at.length) this.grow();
      this.at[e] = position;
      this.next[e] = -1;
      if (this.head[id]! < 0) this.head[id] = e;
      else this.next[this.tail[id]!] = e;
      this.tail[id] = e;
      this.count[id]!++;
    }
  }

  clear(): void {
    this.used = 0;
    for (let k = 0; k < this.head.length; k++) {
      this.head[k] = -1;
      this.count[k] = 0;
    }
  }

  private grow(): void {
    const at = new Int32Array(this.at.length * 2);
    at.set(this.at);
    const next = new Int32Array(this.next.length * 2);
    next.set(this.next);
    this.at = at;
    this.next = next;
  }
}
