/** A claim as the AD FS claims engine sees it: every value is a string. */
export interface Claim {
  readonly type: string;
  readonly value: string;
  readonly valueType: string;
  readonly issuer: string;
  readonly originalIssuer: string;
  readonly properties: Readonly<Record<string, string>>;
}

export const DEFAULT_ISSUER = 'LOCAL AUTHORITY';
export const DEFAULT_VALUE_TYPE = 'http://www.w3.org/2001/XMLSchema#string';

/** Fills the defaults AD FS applies to a claim a rule (or a caller) did not fully describe. */
export function makeClaim(partial: {
  type: string;
  value: string;
  valueType?: string | undefined;
  issuer?: string | undefined;
  originalIssuer?: string | undefined;
  properties?: Readonly<Record<string, string>> | undefined;
}): Claim {
  const issuer = partial.issuer ?? DEFAULT_ISSUER;
  return {
    type: partial.type,
    value: partial.value,
    valueType: partial.valueType ?? DEFAULT_VALUE_TYPE,
    issuer,
    originalIssuer: partial.originalIssuer ?? issuer,
    properties: partial.properties ?? EMPTY_PROPERTIES,
  };
}

const EMPTY_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({});
