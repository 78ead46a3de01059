import t from 'tap';
import { compileRuleSet, parseRuleSet, printRuleSet } from '../../src/language/index.js';
import { loadCorpus } from './load-corpus.js';
import { stripPositions } from './helpers.js';

const corpus = loadCorpus();

/** Line of the first error for each negative entry (read off the verbatim text). */
const NEGATIVE_FIRST_ERROR: Readonly<Record<string, { line: number; code: string }>> = {
  R17: { line: 1, code: 'DG_LANG_SMART_QUOTE' },
  R28: { line: 2, code: 'DG_LANG_UNTERMINATED_STRING' },
  R34: { line: 4, code: 'DG_LANG_UNTERMINATED_STRING' },
  R88: { line: 1, code: 'DG_LANG_SMART_QUOTE' },
  R92: { line: 1, code: 'DG_LANG_SYNTAX' },
  R94: { line: 3, code: 'DG_LANG_SYNTAX' },
  R95: { line: 1, code: 'DG_LANG_SYNTAX' },
};

t.equal(corpus.length, 64, 'the copied corpus holds 64 entries');
t.same(
  corpus.filter((e) => e.expectation === 'negative').map((e) => e.id).sort(),
  Object.keys(NEGATIVE_FIRST_ERROR).sort(),
  'every negative entry has an expected error line',
);

const endings: [string, string][] = [['LF', '\n'], ['CRLF', '\r\n'], ['CR', '\r']];

for (const entry of corpus) {
  t.test(`${entry.id} (${entry.expectation}) ${entry.title}`, (t) => {
    const strict = compileRuleSet(entry.text, { file: `${entry.id}.rules` });
    const errors = strict.diagnostics.filter((d) => d.severity === 'error');
    switch (entry.expectation) {
      case 'positive': {
        t.same(errors, [], 'no errors in strict mode');
        t.ok(strict.ruleSet, 'compiles');
        for (const [name, eol] of endings) {
          const text = entry.text.replace(/\n/g, eol);
          const r = compileRuleSet(text);
          t.equal(r.diagnostics.filter((d) => d.severity === 'error').length, 0, `${name} line endings`);
          t.equal(r.ruleSet?.rules.length, strict.ruleSet?.rules.length, `${name}: same rule count`);
        }
        const parsed = parseRuleSet(entry.text);
        const printed = printRuleSet(parsed.ast);
        const reparsed = parseRuleSet(printed);
        t.same(reparsed.diagnostics, [], 'printed form parses cleanly');
        t.same(stripPositions(reparsed.ast), stripPositions(parsed.ast), 'parse(print(ast)) equals ast modulo positions');
        t.equal(printRuleSet(reparsed.ast), printed, 'printing is idempotent');
        break;
      }
      case 'negative': {
        const want = NEGATIVE_FIRST_ERROR[entry.id]!;
        t.ok(errors.length > 0, 'rejected in strict mode');
        t.equal(strict.ruleSet, undefined, 'no compiled rule set');
        t.equal(errors[0]?.start.line, want.line, 'first error on the expected line');
        t.equal(errors[0]?.code, want.code);
        t.equal(errors[0]?.file, `${entry.id}.rules`);
        break;
      }
      case 'lenient': {
        t.ok(errors.length > 0, 'rejected in strict mode');
        const lenient = compileRuleSet(entry.text, { lenient: true });
        t.same(lenient.diagnostics.filter((d) => d.severity === 'error'), [], 'accepted when lenient');
        t.ok(lenient.diagnostics.some((d) => d.severity === 'warning'), 'with a warning');
        t.ok(lenient.ruleSet);
        break;
      }
      case 'uncertain': {
        t.same(errors, [], 'accepted with the default options');
        const sensitive = compileRuleSet(entry.text, { tagCase: 'sensitive' });
        t.ok(sensitive.diagnostics.some((d) => d.code === 'DG_LANG_UNBOUND_TAG'), 'rejected when tags are case-sensitive');
        break;
      }
    }
    t.end();
  });
}

t.test('smart quotes are repaired with warnings when lenient (R88), not R17 which is broken anyway', (t) => {
  const r88 = corpus.find((e) => e.id === 'R88')!;
  const lenient = compileRuleSet(r88.text, { lenient: true });
  t.ok(lenient.ruleSet);
  t.ok(lenient.diagnostics.every((d) => d.severity === 'warning' && d.code === 'DG_LANG_SMART_QUOTE'));
  const r17 = corpus.find((e) => e.id === 'R17')!;
  const r17l = compileRuleSet(r17.text, { lenient: true });
  t.equal(r17l.ruleSet, undefined);
  t.ok(r17l.diagnostics.some((d) => d.severity === 'error' && d.code === 'DG_LANG_SYNTAX' && /issuance argument/.test(d.message)));
  t.end();
});
