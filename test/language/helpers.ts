import { compileRuleSet, makeClaim, type Claim, type EvaluationResult, type LanguageOptions, type RuleSet } from '../../src/language/index.js';

export function claim(type: string, value: string, extra: Partial<Omit<Claim, 'type' | 'value'>> = {}): Claim {
  return makeClaim({ type, value, ...extra });
}

/** Compiles (failing loudly on errors) and evaluates synchronously. */
export function evaluate(source: string, input: readonly Claim[], options: LanguageOptions = {}): EvaluationResult {
  const { ruleSet, diagnostics } = compileRuleSet(source, options);
  if (!ruleSet) throw new Error(`rules did not compile: ${diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  return ruleSet.evaluate(input, { trace: true });
}

export function tv(result: EvaluationResult): string[] {
  return result.output.map((c) => `${c.type}=${c.value}`);
}

/** The AST without positions, for comparisons "modulo positions". */
export function stripPositions(ast: RuleSet): unknown {
  return JSON.parse(JSON.stringify(ast, (key, value: unknown) => (key === 'start' || key === 'end' || key === 'lineStarts' || key === 'tagSpan' || key === 'file' ? undefined : value)));
}

/** A table row: rules, input claims as [type, value], expected output as `type=value`. */
export interface EvalCase {
  name: string;
  rules: string;
  input: [string, string][];
  output: string[];
  options?: LanguageOptions;
}
