import { parseEvaluationBudget, type EvaluationBudget } from '../language/index.js';
import type { JsonIssue, JsonPath } from './json-position.js';

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
  /**
   * AD FS token-signing certificates (PEM or DER files, relative to rules/ unless absolute), each bound
   * to the SAML Issuer(s) it may sign for; a samlToken needs at least one.
   */
  readonly samlTrustedSigners?: readonly SamlTrustedSignerSetting[];
  /**
   * devicegate's own URL(s): when set, a SAML bearer SubjectConfirmationData Recipient must be one of
   * them. Unset: Recipient is not checked (NotOnOrAfter always is).
   */
  readonly samlRecipients?: readonly string[];
  /**
   * `trusted` (default): a thumbprint or device ID presentation counts as an authenticated device, as a
   * certificate does. `untrusted`: such presentations get device status `untrusted_identifier` and no
   * device claims; only a certificate can make a device known.
   */
  readonly identifierPresentations: 'trusted' | 'untrusted';
  /** Work limits of each rule-set evaluation (language DEFAULT_EVALUATION_BUDGET when absent). */
  readonly evaluationBudget?: EvaluationBudget;
}

export interface SamlTrustedSignerSetting {
  /** Certificate file (PEM may hold several, e.g. primary and secondary token-signing certificates). */
  readonly certificate: string;
  /** The <Issuer> values this certificate may sign for (e.g. http://adfs.contoso.com/adfs/services/trust). */
  readonly issuers: readonly string[];
}

export const DEFAULT_ACCEPTANCE_RULES = 'claims-providers/active-directory.rules';
export const KNOWN_ATTRIBUTE_STORES = ['Active Directory'] as const;

type Problem = (message: string, path?: JsonPath, at?: 'key' | 'value') => void;

/**
 * farm.json's keys, one row each: how a value is checked. Add a key here (and to FarmSettings and the
 * settings object below); a key not in this table is an error ("unknown key"), so typos never pass.
 */
const FARM_KEYS: Readonly<Record<string, (value: unknown, problem: Problem) => void>> = {
  trustedDeviceIssuers: (v, problem) => checkStrings(v, 'trustedDeviceIssuers', problem),
  acceptanceRules: (v, problem) => checkPath(v, 'acceptanceRules', problem),
  additionalAuthenticationRules: (v, problem) => checkPath(v, 'additionalAuthenticationRules', problem),
  claimMapping: (v, problem) => {
    if (!isRecord(v)) return problem('"claimMapping" must be an object', ['claimMapping']);
    for (const key of Object.keys(v)) if (key !== 'trustTypeNames') problem(`unknown key "claimMapping.${key}"`, ['claimMapping', key], 'key');
    const names = v['trustTypeNames'];
    if (names !== undefined && typeof names !== 'boolean') problem('"claimMapping.trustTypeNames" must be true or false', ['claimMapping', 'trustTypeNames']);
  },
  maxInactiveDays: (v, problem) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problem('"maxInactiveDays" must be a whole number of days >= 0 (0 = off)', ['maxInactiveDays']);
  },
  onDirectoryError: (v, problem) => {
    if (v !== 'deny' && v !== 'error') problem('"onDirectoryError" must be "deny" or "error"', ['onDirectoryError']);
  },
  attributeStores: (v, problem) => {
    if (!checkStrings(v, 'attributeStores', problem)) return;
    (v as string[]).forEach((store, i) => {
      if (!(KNOWN_ATTRIBUTE_STORES as readonly string[]).includes(store)) problem(`unknown attribute store "${store}" (known: "Active Directory")`, ['attributeStores', i]);
    });
  },
  samlTrustedSigners: (v, problem) => checkSigners(v, problem),
  samlRecipients: (v, problem) => checkStrings(v, 'samlRecipients', problem),
  evaluationBudget: (v, problem) => {
    for (const message of parseEvaluationBudget(v).problems) problem(message, ['evaluationBudget']);
  },
  identifierPresentations: (v, problem) => {
    if (v !== 'trusted' && v !== 'untrusted') problem('"identifierPresentations" must be "trusted" or "untrusted"', ['identifierPresentations']);
  },
};

/** samlTrustedSigners entries: `{ "certificate": "<file>", "issuers": ["<Issuer>", ...] }`. */
function checkSigners(value: unknown, problem: Problem): void {
  if (!Array.isArray(value)) {
    problem('"samlTrustedSigners" must be an array of { "certificate": "<file>", "issuers": ["<SAML Issuer>", ...] }', ['samlTrustedSigners']);
    return;
  }
  value.forEach((entry: unknown, i) => {
    const at = `"samlTrustedSigners[${i}]"`;
    if (typeof entry === 'string') {
      problem(
        `${at} is a bare certificate path; each signer must name the Issuer(s) it may sign for: { "certificate": ${JSON.stringify(entry)}, "issuers": ["http://<your AD FS>/adfs/services/trust"] }`,
        ['samlTrustedSigners', i],
      );
      return;
    }
    if (!isRecord(entry)) {
      problem(`${at} must be { "certificate": "<file>", "issuers": ["<SAML Issuer>", ...] }`, ['samlTrustedSigners', i]);
      return;
    }
    for (const key of Object.keys(entry)) if (key !== 'certificate' && key !== 'issuers') problem(`unknown key "samlTrustedSigners[${i}].${key}"`, ['samlTrustedSigners', i, key], 'key');
    const certificate = entry['certificate'];
    const issuers = entry['issuers'];
    if (typeof certificate !== 'string' || certificate === '') problem(`"samlTrustedSigners[${i}].certificate" must be a non-empty path string`, ['samlTrustedSigners', i]);
    if (!Array.isArray(issuers) || issuers.length === 0 || issuers.some((s) => typeof s !== 'string' || s.trim() === '')) {
      problem(`"samlTrustedSigners[${i}].issuers" must be a non-empty array of the SAML Issuer values this certificate may sign for`, ['samlTrustedSigners', i]);
    }
  });
}

function checkStrings(v: unknown, key: string, problem: Problem): boolean {
  if (!Array.isArray(v)) {
    problem(`"${key}" must be an array of non-empty strings`, [key]);
    return false;
  }
  const bad = v.findIndex((s) => typeof s !== 'string' || s === '');
  if (bad >= 0) {
    problem(`"${key}" must be an array of non-empty strings`, [key, bad]);
    return false;
  }
  return true;
}

function checkPath(v: unknown, key: string, problem: Problem): void {
  if (typeof v !== 'string' || v === '') problem(`"${key}" must be a non-empty path string`, [key]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates parsed farm.json; every problem is collected with its JSON path (the caller adds file:line:col). */
export function parseFarmSettings(json: unknown): { settings?: FarmSettings; problems: JsonIssue[] } {
  const problems: JsonIssue[] = [];
  const problem: Problem = (message, path = [], at) => {
    problems.push({ message, path, ...(at !== undefined ? { at } : {}) });
  };
  if (!isRecord(json)) return { problems: [{ message: 'must be a JSON object', path: [] }] };
  for (const [key, value] of Object.entries(json)) {
    const check = FARM_KEYS[key];
    if (check === undefined) problem(`unknown key "${key}"`, [key], 'key');
    else if (value !== undefined) check(value, problem);
  }
  if (problems.length > 0) return { problems };
  const str = (key: string): string | undefined => json[key] as string | undefined;
  const list = (key: string): string[] | undefined => json[key] as string[] | undefined;
  const acceptance = str('acceptanceRules');
  const additional = str('additionalAuthenticationRules');
  const days = json['maxInactiveDays'] as number | undefined;
  const samlTrustedSigners = json['samlTrustedSigners'] as SamlTrustedSignerSetting[] | undefined;
  const samlRecipients = list('samlRecipients');
  const budget = json['evaluationBudget'] === undefined ? undefined : parseEvaluationBudget(json['evaluationBudget']).budget;
  return {
    settings: {
      trustedDeviceIssuers: list('trustedDeviceIssuers') ?? [],
      acceptanceRules: acceptance ?? DEFAULT_ACCEPTANCE_RULES,
      acceptanceRulesExplicit: acceptance !== undefined,
      ...(additional !== undefined ? { additionalAuthenticationRules: additional } : {}),
      claimMapping: { trustTypeNames: isRecord(json['claimMapping']) && json['claimMapping']['trustTypeNames'] === true },
      ...(days !== undefined && days > 0 ? { maxInactiveDays: days } : {}),
      onDirectoryError: (json['onDirectoryError'] as 'deny' | 'error' | undefined) ?? 'deny',
      attributeStores: list('attributeStores') ?? [...KNOWN_ATTRIBUTE_STORES],
      ...(samlTrustedSigners !== undefined ? { samlTrustedSigners } : {}),
      ...(samlRecipients !== undefined ? { samlRecipients } : {}),
      identifierPresentations: (json['identifierPresentations'] as 'trusted' | 'untrusted' | undefined) ?? 'trusted',
      ...(budget !== undefined ? { evaluationBudget: budget } : {}),
    },
    problems,
  };
}
