import { resolve } from 'node:path';
import { authorizationOutcome, compileRuleSet, formatDiagnostic, isLanguageError, makeClaim, requiresMfa, type Claim } from '../../language/index.js';
import { readTextFile } from '../../text/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT_OK, RejectedInputError, UsageError, type Command } from '../io.js';

const HELP = `Usage: devicegate rules eval --rules F --claims F.json [--json] [--trace] [--lenient]

Runs one rule set over an input claim set and prints the output (issued) claims.
The claims file is a JSON array of { "type", "value", "valueType"?, "issuer"?, "originalIssuer"?, "properties"? }.
Rules that call attribute stores cannot run here.

Options:
  --rules F     the rule file
  --claims F    the input claims (JSON)
  --json        print the output claims as a JSON array (with --trace: { output, trace, authorization })
  --trace       also show which rules fired and what they produced
  --lenient     repair typographic quotes and accept a missing final ';'
`;

const STRING_FIELDS = ['type', 'value', 'valueType', 'issuer', 'originalIssuer'] as const;

/** Validates the claims JSON; errors name the file, index and field. */
export function parseClaimsJson(text: string, file: string): Claim[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new RejectedInputError(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(data)) throw new RejectedInputError(`${file}: expected a JSON array of claims`);
  return data.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new RejectedInputError(`${file}: claims[${i}] must be an object`);
    const rec = item as Record<string, unknown>;
    for (const key of Object.keys(rec)) {
      if (!(STRING_FIELDS as readonly string[]).includes(key) && key !== 'properties') throw new RejectedInputError(`${file}: claims[${i}].${key} is not a claim field`);
    }
    for (const field of STRING_FIELDS) {
      const v = rec[field];
      const required = field === 'type' || field === 'value';
      if (v === undefined && !required) continue;
      if (typeof v !== 'string') throw new RejectedInputError(`${file}: claims[${i}].${field} must be a string${required ? ' (required)' : ''}`);
    }
    if (rec.type === '') throw new RejectedInputError(`${file}: claims[${i}].type must not be empty`);
    let properties: Record<string, string> | undefined;
    if (rec.properties !== undefined) {
      if (typeof rec.properties !== 'object' || rec.properties === null || Array.isArray(rec.properties)) {
        throw new RejectedInputError(`${file}: claims[${i}].properties must be an object of strings`);
      }
      properties = {};
      for (const [k, v] of Object.entries(rec.properties)) {
        if (typeof v !== 'string') throw new RejectedInputError(`${file}: claims[${i}].properties["${k}"] must be a string`);
        properties[k] = v;
      }
    }
    return makeClaim({
      type: rec.type as string,
      value: rec.value as string,
      valueType: rec.valueType as string | undefined,
      issuer: rec.issuer as string | undefined,
      originalIssuer: rec.originalIssuer as string | undefined,
      properties,
    });
  });
}

function claimJson(c: Claim): Record<string, unknown> {
  const o: Record<string, unknown> = { type: c.type, value: c.value, valueType: c.valueType, issuer: c.issuer, originalIssuer: c.originalIssuer };
  if (Object.keys(c.properties).length > 0) o.properties = c.properties;
  return o;
}

export const rulesEvalCommand: Command = {
  name: 'rules eval',
  summary: 'run one rule set over an input claim set',
  help: HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      rules: { type: 'string' }, claims: { type: 'string' }, json: { type: 'boolean' }, trace: { type: 'boolean' }, lenient: { type: 'boolean' },
    });
    if (!values.rules) throw new UsageError('--rules F is required');
    if (!values.claims) throw new UsageError('--claims F.json is required');
    const read = async (p: string) => {
      try {
        return await readTextFile(resolve(io.cwd, p));
      } catch {
        throw new RejectedInputError(`${p}: cannot read the file`);
      }
    };
    const source = await read(values.rules);
    const input = parseClaimsJson(await read(values.claims), values.claims);
    const { ruleSet, diagnostics } = compileRuleSet(source, { file: values.rules, lenient: values.lenient === true });
    for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d, source)}\n`);
    if (!ruleSet) throw new RejectedInputError(`${values.rules}: the rule set has errors`);
    if (ruleSet.usesStores) {
      throw new RejectedInputError(`${values.rules}: uses attribute store${ruleSet.storesUsed.length > 1 ? 's' : ''} ${ruleSet.storesUsed.map((s) => `"${s}"`).join(', ')}, not available in rules eval`);
    }
    let result: ReturnType<typeof ruleSet.evaluate>;
    try {
      result = ruleSet.evaluate(input, { trace: values.trace === true });
    } catch (error) {
      // Evaluation errors (budget exceeded, a computed regex that cannot be used) name their rule.
      if (!isLanguageError(error)) throw error;
      const rule = error.ruleIndex !== undefined ? ruleSet.rules[error.ruleIndex] : undefined;
      throw new RejectedInputError(`${values.rules}${rule ? `: rule ${rule.label}` : ''}: ${error.code}: ${error.message}`);
    }
    const auth = authorizationOutcome(result);
    if (values.json) {
      const output = result.output.map(claimJson);
      const body = values.trace
        ? {
            output,
            authorization: auth.result,
            mfaRequired: requiresMfa(result.output),
            trace: (result.trace ?? []).map((f) => ({ rule: f.rule.label, line: f.rule.line, kind: f.kind, fired: f.fired, produced: f.produced.map(claimJson) })),
          }
        : output;
      io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      return EXIT_OK;
    }
    if (values.trace) {
      for (const f of result.trace ?? []) {
        io.stdout.write(`${f.fired ? 'fired  ' : 'skipped'} ${f.rule.label} (${f.kind})${f.produced.length > 0 ? `: ${f.produced.length} claim${f.produced.length === 1 ? '' : 's'}` : ''}\n`);
        for (const c of f.produced) io.stdout.write(`          ${c.type} = ${c.value}\n`);
      }
      io.stdout.write('\n');
    }
    io.stdout.write(`${result.output.length} output claim${result.output.length === 1 ? '' : 's'}\n`);
    for (const c of result.output) io.stdout.write(`${c.type} = ${c.value}\n`);
    if (values.trace) io.stdout.write(`\nauthorization: ${auth.result}${requiresMfa(result.output) ? ', MFA required' : ''}\n`);
    return EXIT_OK;
  },
};
