import type { JsonIssue } from './json-position.js';

/** relying-party.json, validated (design.md "rules/"). */
export interface RelyingPartyConfig {
  readonly name: string;
  readonly identifiers: readonly string[];
  readonly enabled: boolean;
  readonly mode: 'enforce' | 'reportOnly';
  readonly accessControlPolicy?: { readonly name: string; readonly parameters?: Readonly<Record<string, unknown>> };
}

const KEYS = new Set(['name', 'identifiers', 'enabled', 'mode', 'accessControlPolicy', 'description']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseRelyingPartyConfig(json: unknown): { config?: RelyingPartyConfig; problems: JsonIssue[] } {
  if (!isRecord(json)) return { problems: [{ message: 'must be a JSON object', path: [] }] };
  const problems: JsonIssue[] = [];
  for (const key of Object.keys(json)) if (!KEYS.has(key)) problems.push({ message: `unknown key "${key}"`, path: [key], at: 'key' });
  const name = json['name'];
  if (typeof name !== 'string' || name.trim() === '') problems.push({ message: '"name" must be a non-empty string', path: ['name'] });
  const ids = json['identifiers'];
  if (!Array.isArray(ids) || ids.length === 0 || ids.some((s) => typeof s !== 'string' || s.trim() === '')) {
    const bad = Array.isArray(ids) ? ids.findIndex((s) => typeof s !== 'string' || s.trim() === '') : -1;
    problems.push({ message: '"identifiers" must be a non-empty array of non-empty strings', path: bad >= 0 ? ['identifiers', bad] : ['identifiers'] });
  } else if (new Set(ids).size !== ids.length) {
    problems.push({ message: '"identifiers" lists the same identifier twice', path: ['identifiers', ids.findIndex((s, i) => ids.indexOf(s) !== i)] });
  }
  const enabled = json['enabled'] ?? true;
  if (typeof enabled !== 'boolean') problems.push({ message: '"enabled" must be true or false', path: ['enabled'] });
  const mode = json['mode'] ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'reportOnly') problems.push({ message: '"mode" must be "enforce" or "reportOnly"', path: ['mode'] });
  const acp = json['accessControlPolicy'];
  let accessControlPolicy: RelyingPartyConfig['accessControlPolicy'];
  if (acp !== undefined && acp !== null) {
    if (!isRecord(acp) || typeof acp['name'] !== 'string' || acp['name'] === '') {
      problems.push({ message: '"accessControlPolicy" must be { "name": "<policy name>", "parameters"?: {...} }', path: isRecord(acp) ? ['accessControlPolicy', 'name'] : ['accessControlPolicy'] });
    } else {
      for (const key of Object.keys(acp)) if (key !== 'name' && key !== 'parameters') problems.push({ message: `unknown key "accessControlPolicy.${key}"`, path: ['accessControlPolicy', key], at: 'key' });
      const params = acp['parameters'];
      if (params !== undefined && params !== null && !isRecord(params)) problems.push({ message: '"accessControlPolicy.parameters" must be an object', path: ['accessControlPolicy', 'parameters'] });
      accessControlPolicy = isRecord(params) ? { name: acp['name'], parameters: params } : { name: acp['name'] };
    }
  }
  if (problems.length > 0) return { problems };
  return {
    config: {
      name: (name as string).trim(),
      identifiers: ids as string[],
      enabled: enabled as boolean,
      mode: mode as 'enforce' | 'reportOnly',
      ...(accessControlPolicy !== undefined ? { accessControlPolicy } : {}),
    },
    problems,
  };
}
