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

export function parseRelyingPartyConfig(json: unknown): { config?: RelyingPartyConfig; problems: string[] } {
  if (!isRecord(json)) return { problems: ['must be a JSON object'] };
  const problems: string[] = [];
  for (const key of Object.keys(json)) if (!KEYS.has(key)) problems.push(`unknown key "${key}"`);
  const name = json['name'];
  if (typeof name !== 'string' || name.trim() === '') problems.push('"name" must be a non-empty string');
  const ids = json['identifiers'];
  if (!Array.isArray(ids) || ids.length === 0 || ids.some((s) => typeof s !== 'string' || s.trim() === '')) {
    problems.push('"identifiers" must be a non-empty array of non-empty strings');
  } else if (new Set(ids).size !== ids.length) {
    problems.push('"identifiers" lists the same identifier twice');
  }
  const enabled = json['enabled'] ?? true;
  if (typeof enabled !== 'boolean') problems.push('"enabled" must be true or false');
  const mode = json['mode'] ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'reportOnly') problems.push('"mode" must be "enforce" or "reportOnly"');
  const acp = json['accessControlPolicy'];
  let accessControlPolicy: RelyingPartyConfig['accessControlPolicy'];
  if (acp !== undefined && acp !== null) {
    if (!isRecord(acp) || typeof acp['name'] !== 'string' || acp['name'] === '') {
      problems.push('"accessControlPolicy" must be { "name": "<policy name>", "parameters"?: {...} }');
    } else {
      for (const key of Object.keys(acp)) if (key !== 'name' && key !== 'parameters') problems.push(`unknown key "accessControlPolicy.${key}"`);
      const params = acp['parameters'];
      if (params !== undefined && params !== null && !isRecord(params)) problems.push('"accessControlPolicy.parameters" must be an object');
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
