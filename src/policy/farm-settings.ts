import { parseEvaluationBudget, type EvaluationBudget } from '../language/index.js';

/** farm.json: every key optional, so `{}` is valid (design.md "rules/"). */
export interface FarmSettings {
  /** CA certificate files (PEM or DER), relative to rules/ unless absolute. */
  readonly trustedDeviceIssuers: readonly string[];
  /** Acceptance transform rules file, relative to rules/; a missing file means pass-through. */
  readonly acceptanceRules: string;
  /** Whether acceptanceRules was named explicitly (then a missing file is an error). */
  readonly acceptanceRulesExplicit: boolean;
  /** Farm-wide additional authentication rules file, relative to rules/. */
  readonly additionalAuthenticationRules?: string;
  readonly claimMapping: { readonly trustTypeNames: boolean };
  /** Devices whose last logon is older are `stale`; undefined or 0 = off. */
  readonly maxInactiveDays?: number;
  readonly onDirectoryError: 'deny' | 'error';
  readonly attributeStores: readonly string[];
  /** AD FS token-signing certificate files (PEM or DER), relative to rules/ unless absolute; a samlToken needs at least one. */
  readonly samlTrustedSigners?: readonly string[];
  /** Work limits of each rule-set evaluation (language DEFAULT_EVALUATION_BUDGET when absent). */
  readonly evaluationBudget?: EvaluationBudget;
}

export const DEFAULT_ACCEPTANCE_RULES = 'claims-providers/active-directory.rules';
export const KNOWN_ATTRIBUTE_STORES = ['Active Directory'] as const;

const KEYS = new Set([
  'trustedDeviceIssuers',
  'acceptanceRules',
  'additionalAuthenticationRules',
  'claimMapping',
  'maxInactiveDays',
  'onDirectoryError',
  'attributeStores',
  'samlTrustedSigners',
  'evaluationBudget',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates parsed farm.json; problems are collected, one message each (the caller adds the file name). */
export function parseFarmSettings(json: unknown): { settings?: FarmSettings; problems: string[] } {
  const problems: string[] = [];
  if (!isRecord(json)) return { problems: ['must be a JSON object'] };
  for (const key of Object.keys(json)) if (!KEYS.has(key)) problems.push(`unknown key "${key}"`);

  const strings = (key: string): string[] | undefined => {
    const v = json[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) {
      problems.push(`"${key}" must be an array of non-empty strings`);
      return undefined;
    }
    return v as string[];
  };
  const path = (key: string): string | undefined => {
    const v = json[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') {
      problems.push(`"${key}" must be a non-empty path string`);
      return undefined;
    }
    return v;
  };

  const trustedDeviceIssuers = strings('trustedDeviceIssuers') ?? [];
  const acceptance = path('acceptanceRules');
  const additional = path('additionalAuthenticationRules');
  let trustTypeNames = false;
  const mapping = json['claimMapping'];
  if (mapping !== undefined) {
    if (!isRecord(mapping)) problems.push('"claimMapping" must be an object');
    else {
      for (const key of Object.keys(mapping)) if (key !== 'trustTypeNames') problems.push(`unknown key "claimMapping.${key}"`);
      const names = mapping['trustTypeNames'];
      if (names !== undefined && typeof names !== 'boolean') problems.push('"claimMapping.trustTypeNames" must be true or false');
      trustTypeNames = names === true;
    }
  }
  const days = json['maxInactiveDays'];
  if (days !== undefined && (typeof days !== 'number' || !Number.isInteger(days) || days < 0)) {
    problems.push('"maxInactiveDays" must be a whole number of days >= 0 (0 = off)');
  }
  const onError = json['onDirectoryError'] ?? 'deny';
  if (onError !== 'deny' && onError !== 'error') problems.push('"onDirectoryError" must be "deny" or "error"');
  const stores = strings('attributeStores') ?? [...KNOWN_ATTRIBUTE_STORES];
  const samlTrustedSigners = strings('samlTrustedSigners');
  for (const s of stores) {
    if (!(KNOWN_ATTRIBUTE_STORES as readonly string[]).includes(s)) problems.push(`unknown attribute store "${s}" (known: "Active Directory")`);
  }
  const budget = json['evaluationBudget'] === undefined ? undefined : parseEvaluationBudget(json['evaluationBudget']);
  if (budget) problems.push(...budget.problems);
  if (problems.length > 0) return { problems };
  return {
    settings: {
      trustedDeviceIssuers,
      acceptanceRules: acceptance ?? DEFAULT_ACCEPTANCE_RULES,
      acceptanceRulesExplicit: acceptance !== undefined,
      ...(additional !== undefined ? { additionalAuthenticationRules: additional } : {}),
      claimMapping: { trustTypeNames },
      ...(typeof days === 'number' && days > 0 ? { maxInactiveDays: days } : {}),
      onDirectoryError: onError as 'deny' | 'error',
      attributeStores: stores,
      ...(samlTrustedSigners !== undefined ? { samlTrustedSigners } : {}),
      ...(budget?.budget !== undefined ? { evaluationBudget: budget.budget } : {}),
    },
    problems,
  };
}
