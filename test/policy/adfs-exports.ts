// Builders for AD FS exports shaped like the real ones: PolicyMetadata as AD FS serializes it (CRLF,
// two-space indentation, the datacontract namespace, i:type conditions), relying party trusts as
// `Get-AdfsRelyingPartyTrust | ConvertTo-Json` prints them on Windows PowerShell 5.1 (every property,
// ResultantPolicy { IsParameterized, Serialized, Summary, ExtensionData }, 4-space indentation,
// \u003c-style escapes, UTF-16 LE with BOM from `>`/Out-File), and policies as
// `Get-AdfsAccessControlPolicy | ConvertTo-Json`.
//
// Shapes observed in public exports (AzureAD/MSIdentityTools src/internal/AdfsSamples/*.json;
// fedtools/adfstoolkit; ADFSDump output): AlwaysCondition, LocationCondition (intranet / extranet / IP
// ranges), SpecificClaimCondition, MultiFactorAuthenticationCondition, ResultantPolicy's fields.
// Reconstructed from memory, not seen in a public sample: the group and device-trust condition type
// names (GroupMembershipCondition, DeviceTrustCondition), <Exceptions>, `{GroupParameter}` placeholders,
// and the field list of Get-AdfsAccessControlPolicy objects.

export type XmlCondition = string;

const indent = (text: string, n: number): string =>
  text
    .split('\r\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\r\n');

function values(list: readonly string[]): string {
  return list.length === 0 ? '<Values />' : `<Values>\r\n${list.map((v) => `  <Value>${v}</Value>`).join('\r\n')}\r\n</Values>`;
}

function condition(type: string, body: string[]): XmlCondition {
  return `<Condition i:type="${type}">\r\n${body.map((b) => indent(b, 2)).join('\r\n')}\r\n</Condition>`;
}

export const always = (): XmlCondition => condition('AlwaysCondition', ['<Operator>IsPresent</Operator>', '<Values />']);
export const mfa = (): XmlCondition => condition('MultiFactorAuthenticationCondition', ['<Operator>IsPresent</Operator>', '<Values />']);
export const location = (...where: string[]): XmlCondition => condition('LocationCondition', ['<Operator>Equals</Operator>', values(where)]);
export const groups = (...sids: string[]): XmlCondition => condition('GroupMembershipCondition', ['<Operator>Equals</Operator>', values(sids)]);
export const deviceTrust = (...levels: string[]): XmlCondition => condition('DeviceTrustCondition', ['<Operator>Equals</Operator>', values(levels)]);
export const claim = (type: string, ...vals: string[]): XmlCondition =>
  condition('SpecificClaimCondition', [`<ClaimType>${type}</ClaimType>`, '<Operator>Equals</Operator>', values(vals)]);
export const raw = (type: string, ...body: string[]): XmlCondition => condition(type, body);

export interface XmlRule {
  readonly conditions: readonly XmlCondition[];
  readonly exceptions?: readonly XmlCondition[];
}

export function policyMetadata(rules: readonly XmlRule[], requireFreshAuthentication = false): string {
  const rule = (r: XmlRule): string => {
    const parts = [`<Conditions>\r\n${r.conditions.map((c) => indent(c, 2)).join('\r\n')}\r\n</Conditions>`];
    if (r.exceptions !== undefined && r.exceptions.length > 0) parts.push(`<Exceptions>\r\n${r.exceptions.map((c) => indent(c, 2)).join('\r\n')}\r\n</Exceptions>`);
    return `<Rule>\r\n${parts.map((p) => indent(p, 2)).join('\r\n')}\r\n</Rule>`;
  };
  return [
    '<PolicyMetadata xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2012/04/ADFS">',
    `  <RequireFreshAuthentication>${requireFreshAuthentication}</RequireFreshAuthentication>`,
    '  <IssuanceAuthorizationRules>',
    ...rules.map((r) => indent(rule(r), 4)),
    '  </IssuanceAuthorizationRules>',
    '</PolicyMetadata>',
  ].join('\r\n');
}

/** The `PolicyMetadata` / `ResultantPolicy` object as ConvertTo-Json prints it. */
export function policyObject(serialized: string, summary: string, isParameterized = false): Record<string, unknown> {
  return { IsParameterized: isParameterized, Serialized: serialized, Summary: summary, ExtensionData: {} };
}

/** Every property Get-AdfsRelyingPartyTrust prints (AD FS 2019), defaults as a new SAML trust has them. */
export function trustExport(fields: {
  Name: string;
  Identifier: string[];
  AccessControlPolicyName?: string | null;
  AccessControlPolicyParameters?: Record<string, unknown> | null;
  ResultantPolicy?: Record<string, unknown> | null;
  IssuanceAuthorizationRules?: string;
  IssuanceTransformRules?: string;
  AdditionalAuthenticationRules?: string;
  Enabled?: boolean;
}): Record<string, unknown> {
  return {
    AllowedAuthenticationClassReferences: [],
    EncryptionCertificateRevocationCheck: 5,
    PublishedThroughProxy: false,
    SigningCertificateRevocationCheck: 5,
    WSFedEndpoint: null,
    AdditionalWSFedEndpoint: [],
    ClaimsProviderName: [],
    ClaimsAccepted: [],
    EncryptClaims: true,
    Enabled: fields.Enabled ?? true,
    EncryptionCertificate: null,
    Identifier: fields.Identifier,
    NotBeforeSkew: 0,
    EnableJWT: false,
    AlwaysRequireAuthentication: false,
    Notes: null,
    OrganizationInfo: '',
    ObjectIdentifier: '0b6c3f1e-5d2a-ef11-a81c-000d3a5e1b77',
    ProxyEndpointMappings: {},
    ProxyTrustedEndpoints: [],
    ProtocolProfile: 'WsFed-SAML',
    RequestSigningCertificate: [],
    EncryptedNameIdRequired: false,
    SignedSamlRequestsRequired: false,
    SamlEndpoints: [],
    SamlResponseSignature: 'AssertionOnly',
    SignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    TokenLifetime: 0,
    AllowedClientTypes: 6,
    IssueOAuthRefreshTokensTo: 2,
    RefreshTokenProtectionEnabled: true,
    RequestMFAFromClaimsProviders: false,
    ScopeGroupId: null,
    Name: fields.Name,
    AutoUpdateEnabled: false,
    MonitoringEnabled: false,
    MetadataUrl: null,
    ConflictWithPublishedPolicy: false,
    IssuanceAuthorizationRules: fields.IssuanceAuthorizationRules ?? '',
    IssuanceTransformRules: fields.IssuanceTransformRules ?? '',
    DelegationAuthorizationRules: '',
    LastPublishedPolicyCheckSuccessful: null,
    LastUpdateTime: '/Date(-2208988800000)/',
    LastMonitoredTime: '/Date(-2208988800000)/',
    ImpersonationAuthorizationRules: '',
    AdditionalAuthenticationRules: fields.AdditionalAuthenticationRules ?? '',
    AccessControlPolicyName: fields.AccessControlPolicyName ?? null,
    AccessControlPolicyParameters: fields.AccessControlPolicyParameters ?? null,
    ResultantPolicy: fields.ResultantPolicy ?? null,
  };
}

/** One object of `Get-AdfsAccessControlPolicy | ConvertTo-Json`. */
export function policyExport(fields: { Name: string; Description?: string; IsBuiltIn?: boolean; PolicyMetadata: Record<string, unknown> | string }): Record<string, unknown> {
  return {
    Name: fields.Name,
    Identifier: fields.Name.replace(/[^A-Za-z0-9]/g, ''),
    IsBuiltIn: fields.IsBuiltIn ?? false,
    RpUsageCount: 1,
    LastUpdateTime: '/Date(1731400000000)/',
    AssignedTo: [],
    Description: fields.Description ?? '',
    PolicyMetadata: fields.PolicyMetadata,
  };
}

/** ConvertTo-Json on Windows PowerShell 5.1: 4-space indentation and <, >, ', & as \u escapes. */
export function powershellJson(value: unknown): string {
  return JSON.stringify(value, null, 4).replace(/[<>'&]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function utf16le(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

export function utf16be(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
}

export function utf8bom(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}
