import type {
  Aggregate, Annotation, Assignment, Condition, ConditionOperator, Constraint, CountOperator, Expression,
  Issuance, PropertyName, Rule, RuleSet, Selector, StringLiteral,
} from './ast.js';
import { computeLineStarts, makeDiagnostic, sortDiagnostics, type Diagnostic } from './diagnostic.js';
import { tokenize, type Token, type TokenKind } from './lexer.js';
import type { LanguageOptions } from './options.js';

const MAX_ERRORS = 100;

/** Thrown inside the parser after a diagnostic was recorded; caught at the rule boundary. */
class ParseAbort extends Error {}

const PROPERTY_BY_WORD: Readonly<Record<string, PropertyName>> = {
  type: 'Type', value: 'Value', valuetype: 'ValueType', issuer: 'Issuer', originalissuer: 'OriginalIssuer', properties: 'Properties',
};
const CONDITION_OPERATORS: readonly TokenKind[] = ['==', '!=', '=~', '!~'];
const COUNT_OPERATORS: readonly TokenKind[] = ['>', '<', '>=', '<=', '==', '!='];
const KNOWN_FUNCTIONS: Readonly<Record<string, string>> = { regexreplace: 'RegexReplace' };
const PROPERTY_LIST = 'Type, Value, ValueType, Issuer, OriginalIssuer or Properties["..."]';

function describe(tok: Token): string {
  switch (tok.kind) {
    case 'eof': return 'end of input';
    case 'identifier': return `'${tok.text}'`;
    case 'string': return `string "${tok.text.length > 30 ? `${tok.text.slice(0, 30)}...` : tok.text}"`;
    case 'integer': return `number ${tok.text}`;
    default: return `'${tok.kind}'`;
  }
}

class Parser {
  private pos = 0;
  readonly diagnostics: Diagnostic[] = [];
  private errorCount = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly lineStarts: readonly number[],
    private readonly options: LanguageOptions,
  ) {}

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.pos + k, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const tok = this.peek();
    if (tok.kind !== 'eof') this.pos++;
    return tok;
  }
  private at(kind: TokenKind): boolean {
    return this.peek().kind === kind;
  }
  private atWord(word: string, k = 0): boolean {
    const tok = this.peek(k);
    return tok.kind === 'identifier' && tok.text.toLowerCase() === word;
  }

  report(code: string, severity: 'error' | 'warning', message: string, start: number, end: number): void {
    if (severity === 'error') {
      this.errorCount++;
      if (this.errorCount === MAX_ERRORS + 1) {
        this.diagnostics.push(makeDiagnostic(this.lineStarts, this.options.file, 'DG_LANG_TOO_MANY_ERRORS', 'error', `more than ${MAX_ERRORS} errors; stopped reporting`, start, end));
      }
      if (this.errorCount > MAX_ERRORS) return;
    }
    this.diagnostics.push(makeDiagnostic(this.lineStarts, this.options.file, code, severity, message, start, end));
  }

  private fail(expected: string, tok = this.peek(), code = 'DG_LANG_SYNTAX'): never {
    this.report(code, 'error', `expected ${expected}, found ${describe(tok)}`, tok.start, tok.end);
    throw new ParseAbort();
  }

  private expect(kind: TokenKind, what = `'${kind}'`): Token {
    if (!this.at(kind)) this.fail(what);
    return this.next();
  }

  parseRuleSet(): RuleSet {
    const rules: Rule[] = [];
    const end = this.tokens[this.tokens.length - 1]!.end;
    while (!this.at('eof') && this.errorCount <= MAX_ERRORS) {
      const before = this.pos;
      try {
        const rule = this.parseRule();
        if (rule) rules.push(rule);
      } catch (error) {
        if (!(error instanceof ParseAbort)) throw error;
        this.skipPast(';');
      }
      if (this.pos === before) this.next();
    }
    const ruleSet: RuleSet = { kind: 'RuleSet', rules, lineStarts: this.lineStarts, start: 0, end };
    if (this.options.file !== undefined) ruleSet.file = this.options.file;
    return ruleSet;
  }

  private skipPast(kind: TokenKind): void {
    while (!this.at('eof') && !this.at(kind)) this.next();
    if (this.at(kind)) this.next();
  }

  /** undefined: the rule had errors in its conditions but was consumed up to its ';'. */
  private parseRule(): Rule | undefined {
    const start = this.peek().start;
    const annotations: Annotation[] = [];
    let conditions: Condition[] = [];
    let conditionsFailed = false;
    try {
      while (this.at('@')) annotations.push(this.parseAnnotation());
      if (!this.at('=>')) conditions = this.parseConditions();
      if (!this.at('=>')) this.fail(`'&&' or '=>'`);
    } catch (error) {
      if (!(error instanceof ParseAbort)) throw error;
      // Recover at the '=>' of this rule (if it comes before the next ';') so the issuance is checked too.
      while (!this.at('eof') && !this.at('=>') && !this.at(';')) this.next();
      if (!this.at('=>')) throw error;
      conditionsFailed = true;
    }
    this.next(); // '=>'
    const issuance = this.parseIssuance();
    if (this.at(';')) {
      this.next();
    } else if (this.at('eof')) {
      const tok = this.peek();
      const lenient = this.options.lenient === true;
      this.report('DG_LANG_MISSING_SEMICOLON', lenient ? 'warning' : 'error', lenient ? "missing ';' at the end of the rule set (accepted: lenient)" : "expected ';' at the end of the rule, found end of input", tok.start, tok.end);
    } else {
      const tok = this.peek();
      this.report('DG_LANG_MISSING_SEMICOLON', 'error', `expected ';' after the issuance statement, found ${describe(tok)}`, tok.start, tok.end);
    }
    if (conditionsFailed) return undefined;
    return { kind: 'Rule', annotations, conditions, issuance, start, end: this.tokens[this.pos - 1]!.end };
  }

  private parseAnnotation(): Annotation {
    const at = this.next();
    const name = this.expect('identifier', 'an annotation name after \'@\' (such as RuleName)');
    this.expect('=', `'=' after @${name.text}`);
    const value = this.expect('string', `a string value for @${name.text}`);
    return { kind: 'Annotation', name: name.text, value: value.text, start: at.start, end: value.end };
  }

  private parseConditions(): Condition[] {
    const conditions = [this.parseCondition()];
    while (this.at('&&')) {
      this.next();
      conditions.push(this.parseCondition());
    }
    return conditions;
  }

  private parseCondition(): Condition {
    const tok = this.peek();
    if (tok.kind === 'identifier' && this.peek(1).kind === ':') {
      this.next();
      this.next();
      if (this.atWord('exists') || this.atWord('not') || this.atWord('count')) {
        this.report('DG_LANG_TAGGED_AGGREGATE', 'error', `aggregate functions bind no claim: remove the tag '${tok.text}:'`, tok.start, tok.end + 1);
        return this.parseAggregate();
      }
      const selector = this.parseSelector(tok.start);
      selector.tag = tok.text;
      selector.tagSpan = { start: tok.start, end: tok.end };
      return selector;
    }
    if (tok.kind === '[') return this.parseSelector(tok.start);
    if (this.atWord('exists') || this.atWord('not') || this.atWord('count')) return this.parseAggregate();
    if (tok.kind === 'identifier') this.fail(`':' after the tag '${tok.text}'`, this.peek(1));
    return this.fail('a condition (a claim selector such as c:[...] or [...], exists(...), NOT exists(...) or count(...)) or \'=>\'');
  }

  private parseAggregate(): Aggregate {
    const first = this.next();
    let fn: Aggregate['fn'];
    const word = first.text.toLowerCase();
    if (word === 'not') {
      if (!this.atWord('exists')) this.fail(`'exists' after 'NOT'`);
      this.next();
      fn = 'notExists';
    } else {
      fn = word === 'count' ? 'count' : 'exists';
    }
    this.expect('(', `'(' after '${fn === 'count' ? 'count' : 'exists'}'`);
    if (this.peek().kind === 'identifier' && this.peek(1).kind === ':') {
      const tag = this.next();
      this.next();
      this.report('DG_LANG_TAGGED_AGGREGATE', 'error', `the selector inside an aggregate takes no tag: remove '${tag.text}:'`, tag.start, tag.end + 1);
    }
    if (!this.at('[')) this.fail(`a claim selector '[...]'`);
    const selector = this.parseSelector(this.peek().start);
    const close = this.expect(')', `')' after the selector`);
    const aggregate: Aggregate = { kind: 'Aggregate', fn, selector, start: first.start, end: close.end };
    if (fn === 'count') {
      const opTok = this.peek();
      if (!COUNT_OPERATORS.includes(opTok.kind)) this.fail(`a comparison operator after count(...) (>, <, >=, <=, ==, !=)`);
      this.next();
      const num = this.peek();
      if (num.kind !== 'integer') this.fail('a non-negative integer', num, 'DG_LANG_BAD_INTEGER');
      this.next();
      const count = Number(num.text);
      if (!Number.isSafeInteger(count)) this.fail('an integer below 2^53', num, 'DG_LANG_BAD_INTEGER');
      aggregate.op = opTok.kind as CountOperator;
      aggregate.count = count;
      aggregate.end = num.end;
    }
    return aggregate;
  }

  private parseSelector(start: number): Selector {
    this.expect('[', `'['`);
    const constraints: Constraint[] = [];
    if (!this.at(']')) {
      for (;;) {
        constraints.push(this.parseConstraint());
        if (this.at(',')) {
          this.next();
          if (this.at(']')) this.fail(`a constraint after ',' (no trailing comma)`);
          continue;
        }
        if (this.at(']')) break;
        this.fail(`',' or ']' after a constraint`);
      }
    }
    const close = this.next();
    return { kind: 'Selector', constraints, start, end: close.end };
  }

  private parseProperty(context: string): { property: PropertyName; key?: string; start: number; end: number } {
    const tok = this.peek();
    const property = tok.kind === 'identifier' ? PROPERTY_BY_WORD[tok.text.toLowerCase()] : undefined;
    if (!property) this.fail(`${context} (${PROPERTY_LIST})`);
    this.next();
    if (property !== 'Properties') return { property, start: tok.start, end: tok.end };
    this.expect('[', `'[' after Properties`);
    const key = this.expect('string', 'a property name string in Properties["..."]');
    const close = this.expect(']', `']' after the property name`);
    return { property, key: key.text, start: tok.start, end: close.end };
  }

  private parseConstraint(): Constraint {
    const prop = this.parseProperty('a claim property');
    const opTok = this.peek();
    if (!CONDITION_OPERATORS.includes(opTok.kind)) {
      this.fail(opTok.kind === '=' ? `a comparison operator (==, !=, =~, !~); '=' assigns and is not allowed in a selector` : 'a comparison operator (==, !=, =~, !~)');
    }
    this.next();
    const value = this.parseExpression();
    const c: Constraint = { kind: 'Constraint', property: prop.property, op: opTok.kind as ConditionOperator, value, start: prop.start, end: value.end };
    if (prop.key !== undefined) c.key = prop.key;
    return c;
  }

  private parseExpression(): Expression {
    const first = this.parseTerm();
    if (!this.at('+')) return first;
    const parts = [first];
    while (this.at('+')) {
      this.next();
      parts.push(this.parseTerm());
    }
    return { kind: 'Concat', parts, start: first.start, end: parts[parts.length - 1]!.end };
  }

  private parseTerm(): Expression {
    const tok = this.peek();
    if (tok.kind === 'string') {
      this.next();
      return { kind: 'String', value: tok.text, start: tok.start, end: tok.end };
    }
    if (tok.kind === 'identifier') {
      if (this.peek(1).kind === '.') {
        this.next();
        this.next();
        const prop = this.parseProperty(`a claim property after '${tok.text}.'`);
        const ref: Expression = { kind: 'PropertyRef', tag: tok.text, property: prop.property, start: tok.start, end: prop.end };
        if (prop.key !== undefined) ref.key = prop.key;
        return ref;
      }
      if (this.peek(1).kind === '(') {
        this.next();
        this.next();
        const args: Expression[] = [];
        if (!this.at(')')) {
          args.push(this.parseExpression());
          while (this.at(',')) {
            this.next();
            args.push(this.parseExpression());
          }
        }
        const close = this.expect(')', `',' or ')' in the argument list of ${tok.text}(...)`);
        return { kind: 'Call', name: KNOWN_FUNCTIONS[tok.text.toLowerCase()] ?? tok.text, args, start: tok.start, end: close.end };
      }
      this.fail(`'.' (as in ${tok.text}.Value) or '(' (a function call) after '${tok.text}'`, this.peek(1));
    }
    return this.fail('an expression (a string, tag.Property or RegexReplace(...))');
  }

  private parseIssuance(): Issuance {
    const verb = this.peek();
    const action = verb.kind === 'identifier' ? verb.text.toLowerCase() : '';
    if (action !== 'issue' && action !== 'add') this.fail(`'issue' or 'add'`);
    this.next();
    this.expect('(', `'(' after '${verb.text}'`);
    const start = verb.start;
    if (this.atWord('claim') && this.peek(1).kind === '=') {
      this.next();
      this.next();
      const tag = this.expect('identifier', 'a tag after claim =');
      const close = this.expect(')', `')' (claim = tag is the only argument of a claim copy)`);
      return { kind: 'Copy', action, tag: tag.text, tagSpan: { start: tag.start, end: tag.end }, start, end: close.end };
    }
    const assignments: Assignment[] = [];
    const storeArgs: { name: 'store' | 'types' | 'query' | 'param'; start: number; end: number; value: Expression | StringLiteral[] }[] = [];
    if (this.at(')')) this.fail(`issuance arguments (Type = ..., claim = tag, or store = ...)`);
    for (;;) {
      const nameTok = this.peek();
      const word = nameTok.kind === 'identifier' ? nameTok.text.toLowerCase() : '';
      if (word === 'store' || word === 'types' || word === 'query' || word === 'param') {
        this.next();
        this.expectAssign(nameTok.text);
        let value: Expression | StringLiteral[];
        if (word === 'types') value = this.parseTypeList();
        else if (word === 'param') value = this.parseExpression();
        else value = this.stringLiteral(this.expect('string', `a string after ${nameTok.text} =`));
        storeArgs.push({ name: word, start: nameTok.start, end: this.tokens[this.pos - 1]!.end, value });
      } else if (word === 'claim') {
        this.report('DG_LANG_MIXED_ARGUMENTS', 'error', 'claim = tag must be the only argument of the issuance statement', nameTok.start, nameTok.end);
        throw new ParseAbort();
      } else {
        const prop = this.parseProperty('an issuance argument: claim, store/types/query/param, or a claim property');
        this.expectAssign(prop.property);
        const value = this.parseExpression();
        const a: Assignment = { kind: 'Assignment', property: prop.property, value, start: prop.start, end: value.end };
        if (prop.key !== undefined) a.key = prop.key;
        assignments.push(a);
      }
      if (this.at(',')) {
        this.next();
        continue;
      }
      if (this.at(')')) break;
      this.fail(`',' or ')' in the issuance arguments`);
    }
    const close = this.next();
    if (storeArgs.length === 0) return { kind: 'NewClaim', action, assignments, start, end: close.end };
    if (assignments.length > 0) {
      const a = assignments[0]!;
      this.report('DG_LANG_MIXED_ARGUMENTS', 'error', 'claim property assignments cannot be mixed with attribute-store arguments (store, types, query, param)', a.start, a.end);
      throw new ParseAbort();
    }
    return this.buildStore(action, storeArgs, start, close.end);
  }

  private buildStore(
    action: 'issue' | 'add',
    args: { name: 'store' | 'types' | 'query' | 'param'; start: number; end: number; value: Expression | StringLiteral[] }[],
    start: number,
    end: number,
  ): Issuance {
    const expectedOrder = ['store', 'types', 'query'] as const;
    let ok = true;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      const want = i < 3 ? expectedOrder[i]! : 'param';
      if (arg.name !== want) {
        const message = i < 3
          ? `attribute-store arguments must come in the order store, types, query, param...: expected '${want}' here, found '${arg.name}'`
          : `only 'param' arguments may follow query, found a second '${arg.name}'`;
        this.report('DG_LANG_STORE_ARGUMENTS', 'error', message, arg.start, arg.end);
        ok = false;
        break;
      }
    }
    if (ok && args.length < 3) {
      this.report('DG_LANG_STORE_ARGUMENTS', 'error', `attribute-store issuance needs store, types and query; '${expectedOrder[args.length]!}' is missing`, start, end);
      ok = false;
    }
    if (!ok) throw new ParseAbort();
    return {
      kind: 'Store', action,
      store: args[0]!.value as StringLiteral,
      types: args[1]!.value as StringLiteral[],
      query: args[2]!.value as StringLiteral,
      params: args.slice(3).map((a) => a.value as Expression),
      start, end,
    };
  }

  private expectAssign(name: string): void {
    if (this.at('==')) this.fail(`'=' after ${name} (an issuance argument assigns; '==' compares)`);
    this.expect('=', `'=' after ${name}`);
  }

  private parseTypeList(): StringLiteral[] {
    this.expect('(', `'(' to start the list of claim types`);
    const types = [this.stringLiteral(this.expect('string', 'a claim type string'))];
    while (this.at(',')) {
      this.next();
      types.push(this.stringLiteral(this.expect('string', 'a claim type string')));
    }
    this.expect(')', `',' or ')' in the list of claim types`);
    return types;
  }

  private stringLiteral(tok: Token): StringLiteral {
    return { kind: 'String', value: tok.text, start: tok.start, end: tok.end };
  }
}

/** Parses a rule set. Never throws for any input: every problem is a diagnostic. */
export function parseRuleSet(source: string, options: LanguageOptions = {}): { ast: RuleSet; diagnostics: Diagnostic[] } {
  const lineStarts = computeLineStarts(source);
  const { tokens, problems } = tokenize(source, options.lenient === true);
  const parser = new Parser(tokens, lineStarts, options);
  const ast = parser.parseRuleSet();
  // Syntax errors that follow a lexical error in the same rule are usually its echo: drop them.
  const lexErrors = problems.filter((p) => p.severity === 'error' && p.code !== 'DG_LANG_SMART_QUOTE');
  const shadows = lexErrors.map((p) => {
    const semi = tokens.find((t) => t.kind === ';' && t.start >= p.end);
    return { start: p.start, end: semi ? semi.end : Number.MAX_SAFE_INTEGER };
  });
  const parserDiagnostics = parser.diagnostics.filter(
    (d) => !((d.code === 'DG_LANG_SYNTAX' || d.code === 'DG_LANG_MISSING_SEMICOLON') && shadows.some((s) => d.start.offset >= s.start && d.start.offset <= s.end)),
  );
  const diagnostics = problems.map((p) => makeDiagnostic(lineStarts, options.file, p.code, p.severity, p.message, p.start, p.end));
  return { ast, diagnostics: sortDiagnostics([...diagnostics, ...parserDiagnostics]) };
}
