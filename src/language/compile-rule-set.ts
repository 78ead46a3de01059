import { checkRuleSet } from './checker.js';
import { compileRule, ruleInfo } from './compile-rule.js';
import { CompiledRuleSetImpl, type CompiledRuleSet } from './compiled-rule-set.js';
import { hasErrors, makeDiagnostic, positionAt, sortDiagnostics, type Diagnostic } from './diagnostic.js';
import type { LanguageOptions } from './options.js';
import { parseRuleSet } from './parser.js';
import type { RuleSet } from './ast.js';
import { TypeKeys } from './type-keys.js';

/**
 * The stages, each returning diagnostics: parse -> check -> build closures.
 * `ruleSet` is undefined iff any diagnostic is an error.
 */
export function compileRuleSet(source: string, options: LanguageOptions = {}): { ruleSet: CompiledRuleSet | undefined; diagnostics: Diagnostic[] } {
  const parsed = parseRuleSet(source, options);
  const diagnostics = [...parsed.diagnostics, ...checkRuleSet(parsed.ast, options)];
  if (hasErrors(diagnostics)) return { ruleSet: undefined, diagnostics: sortDiagnostics(diagnostics) };
  return compileCheckedRuleSet(parsed.ast, options, diagnostics);
}

/** Builds closures for an AST that parsed and checked without errors. */
export function compileCheckedRuleSet(ast: RuleSet, options: LanguageOptions, diagnostics: Diagnostic[] = []): { ruleSet: CompiledRuleSet | undefined; diagnostics: Diagnostic[] } {
  try {
    const keys = new TypeKeys(options.typeComparison !== 'ordinal');
    const compiled = ast.rules.map((rule, index) => compileRule(rule, ruleInfo(rule, index, positionAt(ast.lineStarts, rule.start).line), options, keys));
    return { ruleSet: new CompiledRuleSetImpl(compiled, keys, options.evaluationBudget), diagnostics: sortDiagnostics(diagnostics) };
  } catch (error) {
    // The checker should have caught it; report rather than crash.
    const message = error instanceof Error ? error.message : String(error);
    diagnostics.push(makeDiagnostic(ast.lineStarts, options.file ?? ast.file, 'DG_LANG_REGEX_INVALID', 'error', `could not compile the rule set: ${message}`, 0, 0));
    return { ruleSet: undefined, diagnostics: sortDiagnostics(diagnostics) };
  }
}
