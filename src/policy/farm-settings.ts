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
}

export interface SamlTrustedSignerSetting {
  /** Certificate file (PEM may hold several, e.g. primary and secondary token-signing certificates). */
  readonly certificate: string;
  /** The <Issuer> values this certificate may sign for (e.g. http://adfs.contoso.com/adfs/services/trust). */
  readonly issuers: readonly string[];
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
  'samlRecipients',
  'identifierPresentations',
]);

/** samlTrustedSigners entries: `{ "certificate": "<file>", "issuers": ["<Issuer>", ...] }`. */
function parseSigners(value: unknown, problems: string[]): SamlTrustedSignerSetting[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    problems.push('"samlTrustedSigners" must be an array of { "certificate": "<file>", "issuers": ["<SAML Issuer>", ...] }');
    return undefined;
  }
  const out: SamlTrustedSignerSetting[] = [];
  value.forEach((entry: unknown, i) => {
    const at = `"samlTrustedSigners[${i}]"`;
    if (typeof entry === 'string') {
      problems.push(
        `${at} is a bare certificate path; each signer must name the Issuer(s) it may sign for: { "certificate": ${JSON.stringify(entry)}, "issuers": ["http://<your AD FS>/adfs/services/trust"] }`,
      );
      return;
    }
    if (!isRecord(entry)) {
      problems.push(`${at} must be { "certificate": "<file>", "issuers": ["<SAML Issuer>", ...] }`);
      return;
    }
    for (const key of Object.keys(entry)) if (key !== 'certificate' && key !== 'issuers') problems.push(`unknown key "samlTrustedSigners[${i}].${key}"`);
    const certificate = entry['certificate'];
    const issuers = entry['issuers'];
    if (typeof certificate !== 'string' || certificate === '') problems.push(`"samlTrustedSigners[${i}].certificate" must be a non-empty path string`);
    if (!Array.isArray(issuers) || issuers.length === 0 || issuers.some((s) => typeof s !== 'string' || s.trim() === '')) {
      problems.push(`"samlTrustedSigners[${i}].issuers" must be a non-empty array of the SAML Issuer values this certificate may sign for`);
    } else if (typeof certificate === 'string' && certificate !== '') {
      out.push({ certificate, issuers: issuers as string[] });
    }
  });
  return out;
}

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
  const samlTrustedSigners = parseSigners(json['samlTrustedSigners'], problems);
  const samlRecipients = strings('samlRecipients');
  const identifierPresentations = json['identifierPresentations'] ?? 'trusted';
  if (identifierPresentations !== 'trusted' && identifierPresentations !== 'untrusted') problems.push('"identifierPresentations" must be "trusted" or "untrusted"');
  for (const s of stores) {
    if (!(KNOWN_ATTRIBUTE_STORES as readonly string[]).includes(s)) problems.push(`unknown attribute store "${s}" (known: "Active Directory")`);
  }
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
      ...(samlRecipients !== undefined ? { samlRecipients } : {}),
      identifierPresentations: identifierPresentations as 'trusted' | 'untrusted',
    },
    problems,
  };
}
