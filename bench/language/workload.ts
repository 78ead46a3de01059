// The bench workload: a typical relying party (8 rules) and a typical presentation (16 claims).
// Shared by bench/language/run.ts and ad-hoc comparisons against another checkout.
import type { Claim } from '../../src/language/index.js';

// A typical RP: 8 rules (device trust, groups, location, MFA marker, deny), ~15 input claims.
export const RP = `
@RuleName = "extranet marker"
exists([Type == "http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork", Value == "false"])
 => add(Type = "urn:devicegate:extranet", Value = "true");

@RuleName = "mfa done"
exists([Type == "http://schemas.microsoft.com/claims/authnmethodsreferences", Value == "http://schemas.microsoft.com/claims/multipleauthn"])
 => add(Type = "urn:devicegate:mfa", Value = "true");

@RuleName = "deny disabled group"
c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid", Value == "S-1-5-21-1111111111-2222222222-3333333333-9999"]
 => issue(Type = "http://schemas.microsoft.com/authorization/claims/deny", Value = "DenyUsersWithClaim");

@RuleName = "compliant devices"
c:[Type == "http://schemas.microsoft.com/2014/09/devicecontext/claims/iscompliant", Value =~ "^(?i)true$"]
 => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "PermitUsersWithClaim");

@RuleName = "managed devices of staff"
c1:[Type == "http://schemas.microsoft.com/2012/01/devicecontext/claims/ismanaged", Value == "true"]
 && c2:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid", Value == "S-1-5-21-1111111111-2222222222-3333333333-1104"]
 => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");

@RuleName = "known device on intranet"
exists([Type == "http://schemas.microsoft.com/2014/02/devicecontext/claims/isknown", Value == "true"])
 && NOT exists([Type == "urn:devicegate:extranet"])
 => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");

@RuleName = "extranet without mfa"
exists([Type == "urn:devicegate:extranet"]) && NOT exists([Type == "urn:devicegate:mfa"])
 => issue(Type = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod", Value = "http://schemas.microsoft.com/claims/multipleauthn");

@RuleName = "admins need a managed device"
c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid", Value =~ "-512$"]
 && NOT exists([Type == "http://schemas.microsoft.com/2012/01/devicecontext/claims/ismanaged", Value == "true"])
 => issue(Type = "http://schemas.microsoft.com/authorization/claims/deny", Value = "true");
`;

type MakeClaim = (partial: { type: string; value: string; issuer?: string }) => Claim;

/** The input claims, built with the given makeClaim (so another checkout's claim factory can be used). */
export function workloadInput(makeClaim: MakeClaim): Claim[] {
  const dc = 'http://schemas.microsoft.com/2012/01/devicecontext/claims/';
  return [
    makeClaim({ type: `${dc}identifier`, value: '2f4a4a4e-8d1d-4c8e-9a59-6a1b2c3d4e5f' }),
    makeClaim({ type: `${dc}displayname`, value: 'LAPTOP-42' }),
    makeClaim({ type: `${dc}ostype`, value: 'Windows' }),
    makeClaim({ type: `${dc}osversion`, value: '10.0.22631' }),
    makeClaim({ type: 'http://schemas.microsoft.com/2014/02/devicecontext/claims/isknown', value: 'true' }),
    makeClaim({ type: `${dc}ismanaged`, value: 'true' }),
    makeClaim({ type: 'http://schemas.microsoft.com/2014/09/devicecontext/claims/iscompliant', value: 'false' }),
    makeClaim({ type: 'http://schemas.microsoft.com/2014/09/devicecontext/claims/trusttype', value: '2' }),
    makeClaim({ type: `${dc}isregistereduser`, value: 'true' }),
    makeClaim({ type: 'http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork', value: 'false' }),
    makeClaim({ type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid', value: 'S-1-5-21-1111111111-2222222222-3333333333-1201', issuer: 'AD AUTHORITY' }),
    ...['513', '1104', '1150', '1203'].map((rid) => makeClaim({ type: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid', value: `S-1-5-21-1111111111-2222222222-3333333333-${rid}`, issuer: 'AD AUTHORITY' })),
    makeClaim({ type: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', value: 'bob@contoso.com', issuer: 'AD AUTHORITY' }),
  ];
}

/**
 * Relying parties that differ from RP (rules rotated, one dropped, other group SIDs), for a decision
 * mix that keeps the engine's shared closures from specialising on a single rule set, as a server with
 * many relying parties would.
 */
export function rpVariants(count: number): string[] {
  const rules = RP.trim().split(/\n\s*\n/);
  return Array.from({ length: count }, (_, i) => {
    const rotated = [...rules.slice(i % rules.length), ...rules.slice(0, i % rules.length)];
    const kept = i >= rules.length ? rotated.filter((_, k) => k !== i % rules.length) : rotated;
    return kept.join('\n\n').replace('-1104"', `-${1104 + (i % 3)}"`).replace('-9999"', `-${9990 + i}"`);
  });
}
