import type { Claim } from './claim.js';
import { equalsIgnoreCase, internalize } from './compile-expression.js';

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/**
 * Rule-set-wide ids for the claim types named by `Type == "literal"` constraints, so that selectors
 * read only the claims of their type instead of testing every claim's type on every rule.
 * A claim type belongs to id k exactly when the rule set's Type comparison says it equals literal k
 * (equalsIgnoreCase by default, === when ordinal); with odd non-ASCII folds one type may belong to
 * several ids, and then it is listed in each. Both comparisons require equal lengths, so a claim is
 * compared only with the literals of its length (no hashing: request claims arrive as fresh strings).
 */
export class TypeKeys {
  /** One literal per id (ASCII literals that differ only in case share an id: they match the same types). */
  private readonly literals: string[] = [];
  private readonly byKey = new Map<string, number>();
  /** byLength[n] = ids of the literals of length n */
  private readonly byLength: (number[] | undefined)[] = [];

  constructor(readonly ignoreCase: boolean) {}

  get size(): number {
    return this.literals.length;
  }

  /** Compile time: the id of a `Type ==` literal. */
  idOf(literal: string): number {
    const key = this.ignoreCase && isAscii(literal) ? literal.toLowerCase() : literal;
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.literals.length;
      this.literals.push(internalize(literal));
      this.byKey.set(key, id);
      while (this.byLength.length <= literal.length) this.byLength.push(undefined);
      (this.byLength[literal.length] ??= []).push(id);
    }
    return id;
  }

  /** Calls found(id) for each id whose literal `type` equals, in id order. */
  match(type: string, found: (id: number) => void): void {
    const candidates = type.length < this.byLength.length ? this.byLength[type.length] : undefined;
    if (candidates === undefined) return;
    for (let i = 0; i < candidates.length; i++) {
      const id = candidates[i]!;
      const lit = this.literals[id]!;
      if (this.ignoreCase ? equalsIgnoreCase(type, lit) : type === lit) found(id);
    }
  }

  /** The ids whose literal `type` equals (for tests and diagnostics; the evaluator uses match()). */
  idsOf(type: string): number[] {
    const ids: number[] = [];
    this.match(type, (id) => ids.push(id));
    return ids;
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
  private position = 0;
  private readonly link = (id: number): void => {
    const e = this.used++;
    if (e === this.at.length) this.grow();
    this.at[e] = this.position;
    this.next[e] = -1;
    if (this.head[id]! < 0) this.head[id] = e;
    else this.next[this.tail[id]!] = e;
    this.tail[id] = e;
    this.count[id]!++;
  };

  constructor(private readonly keys: TypeKeys) {
    this.head = new Int32Array(keys.size).fill(-1);
    this.count = new Int32Array(keys.size);
    this.tail = new Int32Array(keys.size);
    this.at = new Int32Array(32);
    this.next = new Int32Array(32);
  }

  /** Indexes the claim at working-set position `position`. */
  add(claim: Claim, position: number): void {
    this.position = position;
    this.keys.match(claim.type, this.link);
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
