import t from 'tap';
import fc from 'fast-check';
import type { Assignment, Condition, Constraint, Expression, Issuance, Rule, RuleSet, Selector } from '../../src/language/index.js';
import { compileRuleSet, LanguageError, makeClaim, parseRuleSet, printRuleSet } from '../../src/language/index.js';
import { loadCorpus } from './load-corpus.js';
import { stripPositions } from './helpers.js';

const pos = { start: 0, end: 0 };
const text = fc.stringMatching(/^[A-Za-z0-9 :/._\\$@{}()|^-]{0,12}$/);
const tag = fc.constantFrom('c', 'c1', 'c2', 'C3', 'x_1');
const propName = fc.constantFrom('Type', 'Value', 'ValueType', 'Issuer', 'OriginalIssuer', 'Properties') as fc.Arbitrary<'Type' | 'Value' | 'ValueType' | 'Issuer' | 'OriginalIssuer' | 'Properties'>;
const withKey = <T extends { property: string }>(o: T, key: string): T => (o.property === 'Properties' ? { ...o, key } : o);

const { expr } = fc.letrec<{ expr: Expression; term: Expression }>((tie) => ({
  term: fc.oneof(
    { depthSize: 'small' },
    text.map((value): Expression => ({ kind: 'String', value, ...pos })),
    fc.tuple(tag, propName, text).map(([t, p, k]): Expression => withKey({ kind: 'PropertyRef', tag: t, property: p, ...pos } as Expression & { property: string }, k)),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([a, b, c]): Expression => ({ kind: 'Call', name: 'RegexReplace', args: [a, b, c], ...pos })),
  ),
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('term'),
    fc.array(tie('term'), { minLength: 2, maxLength: 3 }).map((parts): Expression => ({ kind: 'Concat', parts, ...pos })),
  ),
}));

const constraint = fc.tuple(propName, text, fc.constantFrom('==', '!=', '=~', '!~'), expr).map(
  ([p, k, op, value]) => withKey({ kind: 'Constraint', property: p, op, value, ...pos } as Constraint, k),
);
const selector = fc.tuple(fc.option(tag, { nil: undefined }), fc.array(constraint, { maxLength: 3 })).map(([t, constraints]) => {
  const s: Selector = { kind: 'Selector', constraints, ...pos };
  if (t !== undefined) s.tag = t;
  return s;
});
const untagged = fc.array(constraint, { maxLength: 2 }).map((constraints): Selector => ({ kind: 'Selector', constraints, ...pos }));
const condition: fc.Arbitrary<Condition> = fc.oneof(
  selector,
  fc.tuple(fc.constantFrom('exists', 'notExists'), untagged).map(([fn, sel]): Condition => ({ kind: 'Aggregate', fn: fn as 'exists', selector: sel, ...pos })),
  fc.tuple(untagged, fc.constantFrom('>', '<', '>=', '<=', '==', '!='), fc.nat(99)).map(([sel, op, count]): Condition => ({ kind: 'Aggregate', fn: 'count', selector: sel, op: op as '>', count, ...pos })),
);
const assignment = fc.tuple(propName, text, expr).map(([p, k, value]) => withKey({ kind: 'Assignment', property: p, value, ...pos } as Assignment, k));
const strLit = text.map((value) => ({ kind: 'String' as const, value, ...pos }));
const issuance: fc.Arbitrary<Issuance> = fc.tuple(fc.constantFrom('issue', 'add') as fc.Arbitrary<'issue' | 'add'>, fc.nat(2)).chain(([action, form]) => {
  if (form === 0) return tag.map((tg): Issuance => ({ kind: 'Copy', action, tag: tg, tagSpan: pos, ...pos }));
  if (form === 1) return fc.array(assignment, { minLength: 1, maxLength: 4 }).map((assignments): Issuance => ({ kind: 'NewClaim', action, assignments, ...pos }));
  return fc.tuple(strLit, fc.array(strLit, { minLength: 1, maxLength: 3 }), strLit, fc.array(expr, { maxLength: 3 })).map(
    ([store, types, query, params]): Issuance => ({ kind: 'Store', action, store, types, query, params, ...pos }),
  );
});
const annotation = fc.tuple(fc.constantFrom('RuleName', 'RuleTemplate', 'Other'), text).map(([name, value]) => ({ kind: 'Annotation' as const, name, value, ...pos }));
const rule = fc.tuple(fc.array(annotation, { maxLength: 2 }), fc.array(condition, { maxLength: 3 }), issuance).map(
  ([annotations, conditions, iss]): Rule => ({ kind: 'Rule', annotations, conditions, issuance: iss, ...pos }),
);
const ruleSet = fc.array(rule, { maxLength: 4 }).map((rules): RuleSet => ({ kind: 'RuleSet', rules, lineStarts: [0], ...pos }));

t.test('printer/parser round trip on generated rule sets', (t) => {
  fc.assert(
    fc.property(ruleSet, (ast) => {
      const printed = printRuleSet(ast);
      const parsed = parseRuleSet(printed);
      const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) throw new Error(`${errors[0]!.message}\n${printed}`);
      t.same(stripPositions(parsed.ast), stripPositions(ast));
      return printRuleSet(parsed.ast) === printed;
    }),
    { numRuns: 300 },
  );
  t.end();
});

const corpus = loadCorpus();
const positives = corpus.filter((e) => e.expectation === 'positive').map((e) => e.text);
const TOKEN_BITS = ['"', '“', '[', ']', '(', ')', ';', ',', '=>', '==', '=~', '&&', '@', ':', '.', '+', 'c', 'NOT', 'exists', 'issue', '\n', '\r', ' ', '\\', 'x', '0', '{', '#'];

/** Never throws: every problem in the input comes back as a diagnostic with a sane position. */
function mustNotThrow(source: string, lenient: boolean): void {
  const r = compileRuleSet(source, { lenient });
  for (const d of r.diagnostics) {
    if (d.start.offset < 0 || d.start.offset > source.length || d.end.offset < d.start.offset || d.start.line < 1 || d.start.column < 1) {
      throw new Error(`bad diagnostic position ${JSON.stringify(d)}`);
    }
  }
  if (r.ruleSet && !r.ruleSet.usesStores) {
    try {
      r.ruleSet.evaluate([makeClaim({ type: 'c', value: 'x' }), makeClaim({ type: 'http://test/name', value: 'D\\u' })]);
    } catch (error) {
      if (!(error instanceof LanguageError)) throw error;
    }
  }
}

t.test('random input never throws, only diagnostics', (t) => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.boolean(), (s, lenient) => mustNotThrow(s, lenient)), { numRuns: 500 });
  fc.assert(fc.property(fc.array(fc.constantFrom(...TOKEN_BITS), { maxLength: 60 }), fc.boolean(), (bits, lenient) => mustNotThrow(bits.join(''), lenient)), { numRuns: 500 });
  t.end();
});

t.test('mutated corpus rules never throw', (t) => {
  const mutation = fc.tuple(fc.nat(), fc.nat(8), fc.constantFrom(...TOKEN_BITS), fc.nat(2));
  fc.assert(
    fc.property(fc.constantFrom(...positives), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (src, muts, lenient) => {
      let s = src;
      for (const [at, len, bit, kind] of muts) {
        const i = at % (s.length + 1);
        s = kind === 0 ? s.slice(0, i) + s.slice(i + len) : kind === 1 ? s.slice(0, i) + bit + s.slice(i) : s.slice(0, i) + bit + s.slice(i + len);
      }
      mustNotThrow(s, lenient);
    }),
    { numRuns: 800 },
  );
  t.end();
});

t.test('evaluation is deterministic', (t) => {
  const compiled = positives.map((p) => compileRuleSet(p).ruleSet!).filter((r) => !r.usesStores);
  const types = ['http://test/name', 'http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork', 'http://schemas.microsoft.com/claims/authnmethodsreferences', 'urn:adfstk:mfalogon', 'http://temp/variable', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'];
  const claimArb = fc.tuple(fc.constantFrom(...types), fc.constantFrom('true', 'false', 'CL-AWS-123456789012', 'a@b.c', 'D\\u', ''), fc.constantFrom('AD AUTHORITY', 'LOCAL AUTHORITY')).map(([type, value, issuer]) => makeClaim({ type, value, issuer }));
  fc.assert(
    fc.property(fc.nat(compiled.length - 1), fc.array(claimArb, { maxLength: 8 }), (k, input) => {
      const rs = compiled[k]!;
      const a = rs.evaluate(input, { trace: true });
      const b = rs.evaluate(input, { trace: true });
      t.same(a, b);
      const fresh = compileRuleSet(positives.filter((p) => !compileRuleSet(p).ruleSet!.usesStores)[k]!).ruleSet!.evaluate(input);
      t.same(fresh.output, a.output);
    }),
    { numRuns: 200 },
  );
  t.end();
});
