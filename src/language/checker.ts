import type { Call, Constraint, Expression, Rule, RuleSet, Selector, Span, StringLiteral } from './ast.js';
import { makeDiagnostic, sortDiagnostics, type Diagnostic } from './diagnostic.js';
import type { LanguageOptions } from './options.js';
import { translateRegex, translateReplacement, type RegexMode } from './regex-translate.js';
import { tagKey, walkExpression } from './walk-expressions.js';

const HTTPS_PREFIXES = ['https://schemas.microsoft.com/', 'https://schemas.xmlsoap.org/'];

/** Static checks of §1.5 over a parsed rule set (the parser already reported syntax). */
export function checkRuleSet(ast: RuleSet, options: LanguageOptions = {}): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const file = options.file ?? ast.file;
  const report = (code: string, severity: 'error' | 'warning', message: string, span: Span) => {
    diagnostics.push(makeDiagnostic(ast.lineStarts, file, code, severity, message, span.start, span.end));
  };
  const caseSensitive = options.tagCase === 'sensitive';
  const stores = options.attributeStores ? new Set(options.attributeStores.map((s) => s.toLowerCase())) : undefined;

  const checkHttps = (lit: StringLiteral) => {
    if (options.warnHttpsClaimTypes && HTTPS_PREFIXES.some((p) => lit.value.startsWith(p))) {
      report('DG_LANG_HTTPS_CLAIM_TYPE', 'warning', `claim type uses https://; AD FS claim types are http:// URIs (a documentation rewrite bug), so this never matches`, lit);
    }
  };

  const checkCall = (call: Call) => {
    if (call.name !== 'RegexReplace') {
      report('DG_LANG_UNKNOWN_FUNCTION', 'error', `unknown function '${call.name}' (the only function is RegexReplace)`, call);
      return;
    }
    if (call.args.length !== 3) {
      report('DG_LANG_UNKNOWN_FUNCTION', 'error', `RegexReplace takes 3 arguments (input, pattern, replacement), found ${call.args.length}`, call);
      return;
    }
    const pattern = call.args[1]!;
    const replacement = call.args[2]!;
    if (pattern.kind !== 'String') return;
    const regex = checkRegex(pattern, 'replace');
    if (regex && replacement.kind === 'String') {
      const r = translateReplacement(replacement.value, regex);
      if (!r.ok) report(r.code, 'error', r.message, { start: replacement.start + 1 + r.offset, end: replacement.start + 1 + r.offset + r.length });
    }
  };

  const checkRegex = (lit: StringLiteral, mode: RegexMode) => {
    const r = translateRegex(lit.value, mode);
    if (r.ok) {
      for (const w of r.warnings) report(w.code, 'warning', w.message, { start: lit.start + 1 + w.offset, end: lit.start + 1 + w.offset + Math.max(1, w.length) });
      return r;
    }
    report(r.code, 'error', r.message, { start: lit.start + 1 + r.offset, end: lit.start + 1 + r.offset + Math.max(1, r.length) });
    return undefined;
  };

  for (const rule of ast.rules) {
    const bound = new Map<string, number>();
    const selectors: Selector[] = [];
    let aggregates = 0;
    for (const cond of rule.conditions) {
      if (cond.kind === 'Aggregate') {
        aggregates++;
        continue;
      }
      selectors.push(cond);
      if (cond.tag === undefined) continue;
      const key = tagKey(cond.tag, caseSensitive);
      if (bound.has(key)) report('DG_LANG_DUPLICATE_TAG', 'warning', `tag '${cond.tag}' is already bound by an earlier selector of this rule; references use the first`, cond.tagSpan ?? cond);
      else bound.set(key, selectors.length - 1);
    }
    checkSelfJoin(selectors, options, report);
    if (aggregates > 0 && selectors.length > 0) {
      const first = rule.conditions[0]!;
      report('DG_LANG_MIXED_CONDITIONS', options.mixedConditions ?? 'warning', 'claim selectors and aggregate functions (exists, NOT exists, count) in one rule; AD FS documents them as mutually exclusive', { start: first.start, end: first.end });
    }

    const checkRefs = (e: Expression, where: string, ownTag?: string) => {
      walkExpression(
        e,
        (ref) => {
          if (ownTag !== undefined && tagKey(ref.tag, caseSensitive) === tagKey(ownTag, caseSensitive)) {
            report('DG_LANG_SELF_REFERENCE', 'error', `a selector cannot refer to its own tag '${ref.tag}' in its constraints`, ref);
          } else if (where === 'aggregate') {
            report('DG_LANG_UNBOUND_TAG', 'error', `constraints inside an aggregate cannot refer to tags ('${ref.tag}')`, ref);
          } else if (!bound.has(tagKey(ref.tag, caseSensitive))) {
            report('DG_LANG_UNBOUND_TAG', 'error', `tag '${ref.tag}' is not bound by any selector of this rule${hint(rule, ref.tag)}`, ref);
          }
        },
        checkCall,
      );
    };

    const checkConstraint = (c: Constraint, where: string, ownTag?: string) => {
      checkRefs(c.value, where, ownTag);
      if ((c.op === '=~' || c.op === '!~') && c.value.kind === 'String') checkRegex(c.value, 'test');
      if (c.property === 'Type' && c.value.kind === 'String') checkHttps(c.value);
    };
    for (const cond of rule.conditions) {
      if (cond.kind === 'Aggregate') for (const c of cond.selector.constraints) checkConstraint(c, 'aggregate');
      else for (const c of cond.constraints) checkConstraint(c, 'selector', cond.tag);
    }

    const iss = rule.issuance;
    if (iss.kind === 'Copy') {
      if (!bound.has(tagKey(iss.tag, caseSensitive))) report('DG_LANG_UNBOUND_TAG', 'error', `tag '${iss.tag}' is not bound by any selector of this rule${hint(rule, iss.tag)}`, iss.tagSpan);
      if (iss.action === 'add') report('DG_LANG_ADD_COPY', 'warning', 'add(claim = ...) has no effect: the claim is already in the input set (use issue to copy it to the output)', iss);
    } else if (iss.kind === 'NewClaim') {
      const seen = new Set<string>();
      for (const a of iss.assignments) {
        const key = a.property === 'Properties' ? `Properties[${a.key ?? ''}]` : a.property;
        if (seen.has(key)) report('DG_LANG_DUPLICATE_ASSIGNMENT', 'error', `${key} is assigned twice`, a);
        seen.add(key);
        checkRefs(a.value, 'issuance');
        if (a.property === 'Type' && a.value.kind === 'String') checkHttps(a.value);
      }
      if (!seen.has('Type')) report('DG_LANG_MISSING_TYPE', 'error', 'a new claim needs Type = ... (all other properties are optional)', iss);
    } else {
      for (const p of iss.params) checkRefs(p, 'issuance');
      for (const t of iss.types) checkHttps(t);
      if (stores && !stores.has(iss.store.value.toLowerCase())) {
        report('DG_LANG_UNKNOWN_STORE', options.unknownStoreSeverity ?? 'error', `attribute store "${iss.store.value}" is not configured (configured: ${[...(options.attributeStores ?? [])].join(', ') || 'none'})`, iss.store);
      }
    }
  }
  return sortDiagnostics(diagnostics);
}

/** Selectors of one rule that read the same claim type (or every claim); 3 or more is a cubic (or worse) join. */
function checkSelfJoin(selectors: readonly Selector[], options: LanguageOptions, report: (code: string, severity: 'error' | 'warning', message: string, span: Span) => void): void {
  if (selectors.length < 3) return;
  const byType = new Map<string, { shown: string; selectors: Selector[] }>();
  for (const s of selectors) {
    const typed = s.constraints.find((c) => c.property === 'Type' && c.op === '==' && c.value.kind === 'String');
    const shown = typed?.value.kind === 'String' ? typed.value.value : '';
    const key = typed ? (options.typeComparison === 'ordinal' ? shown : shown.toLowerCase()) : '\u0000any';
    const entry = byType.get(key) ?? { shown, selectors: [] };
    entry.selectors.push(s);
    byType.set(key, entry);
  }
  for (const { shown, selectors: same } of byType.values()) {
    if (same.length < 3) continue;
    const what = shown === '' ? 'every claim (selectors without Type ==)' : `claim type "${shown}"`;
    report(
      'DG_LANG_SELF_JOIN', 'warning',
      `this rule joins ${what} with itself ${same.length} ways: a caller that sends n such claims makes it visit n^${same.length} tuples (512 claims: ${(512 ** same.length).toExponential(1)}); evaluation stops at the joinTuples budget and denies`,
      { start: same[2]!.start, end: same[2]!.end },
    );
  }
}

function hint(rule: Rule, tag: string): string {
  const tags = rule.conditions.flatMap((c) => (c.kind === 'Selector' && c.tag !== undefined ? [c.tag] : []));
  const close = tags.find((t) => t.toLowerCase() === tag.toLowerCase());
  if (close !== undefined) return ` (did you mean '${close}'? tags are case-sensitive in this configuration)`;
  return tags.length > 0 ? ` (bound tags: ${tags.join(', ')})` : ' (the rule has no tagged selector)';
}
