/**
 * The rule-set AST. Every node keeps `start`/`end` source offsets; line/column are computed from
 * `RuleSet.lineStarts` only when a diagnostic is made. Keyword spellings are normalized (property and
 * function names canonical); tags, annotation names and strings are kept as written.
 */
export interface Span {
  start: number;
  end: number;
}

export type PropertyName = 'Type' | 'Value' | 'ValueType' | 'Issuer' | 'OriginalIssuer' | 'Properties';
export const PROPERTY_NAMES: readonly PropertyName[] = ['Type', 'Value', 'ValueType', 'Issuer', 'OriginalIssuer', 'Properties'];

export type ConditionOperator = '==' | '!=' | '=~' | '!~';
export type CountOperator = '>' | '<' | '>=' | '<=' | '==' | '!=';

export interface RuleSet extends Span {
  kind: 'RuleSet';
  rules: Rule[];
  file?: string;
  /** Offsets where each source line starts (for diagnostics). */
  lineStarts: readonly number[];
}

export interface Annotation extends Span {
  kind: 'Annotation';
  name: string;
  value: string;
}

export interface Rule extends Span {
  kind: 'Rule';
  annotations: Annotation[];
  conditions: Condition[];
  issuance: Issuance;
}

export type Condition = Selector | Aggregate;

export interface Selector extends Span {
  kind: 'Selector';
  tag?: string;
  tagSpan?: Span;
  constraints: Constraint[];
}

export interface Aggregate extends Span {
  kind: 'Aggregate';
  fn: 'exists' | 'notExists' | 'count';
  selector: Selector;
  /** count only */
  op?: CountOperator;
  count?: number;
}

export interface Constraint extends Span {
  kind: 'Constraint';
  property: PropertyName;
  /** Properties["key"] only */
  key?: string;
  op: ConditionOperator;
  value: Expression;
}

export type Expression = StringLiteral | PropertyRef | Concat | Call;

export interface StringLiteral extends Span {
  kind: 'String';
  value: string;
}

export interface PropertyRef extends Span {
  kind: 'PropertyRef';
  tag: string;
  property: PropertyName;
  key?: string;
}

export interface Concat extends Span {
  kind: 'Concat';
  parts: Expression[];
}

export interface Call extends Span {
  kind: 'Call';
  /** 'RegexReplace' when known (any spelling); otherwise as written */
  name: string;
  args: Expression[];
}

export type Issuance = CopyIssuance | NewClaimIssuance | StoreIssuance;

export interface IssuanceBase extends Span {
  action: 'issue' | 'add';
}

export interface CopyIssuance extends IssuanceBase {
  kind: 'Copy';
  tag: string;
  tagSpan: Span;
}

export interface Assignment extends Span {
  kind: 'Assignment';
  property: PropertyName;
  key?: string;
  value: Expression;
}

export interface NewClaimIssuance extends IssuanceBase {
  kind: 'NewClaim';
  assignments: Assignment[];
}

export interface StoreIssuance extends IssuanceBase {
  kind: 'Store';
  store: StringLiteral;
  types: StringLiteral[];
  query: StringLiteral;
  params: Expression[];
}
