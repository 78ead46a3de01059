/**
 * A temp copy of rules/ with relying parties that make forgeries and fail-open paths visible (shared by
 * the trust-boundary, fail-closed and forgery tests). Each would permit if the attack worked.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTHORIZATION_CLAIM_TYPES as A, DEVICE_CLAIM_TYPES as D, REQUEST_CLAIM_TYPES as R } from '../../src/claims/index.js';
import { RULES } from './helpers.js';

const PERMIT = `issue(Type = "${A.permit}", Value = "true")`;
const DENY = `issue(Type = "${A.deny}", Value = "true")`;

/** Relying party identifier -> authorization.rules (slug = the identifier's last path part). */
export const FORGERY_PARTIES = {
  /** Forwards a permit claim "from upstream": a caller permit claim must never reach it. */
  'urn:test:forwards-permit': `@RuleName = "Forward upstream permit"\nc:[Type == "${A.permit}"] => issue(claim = c);\n`,
  /** A device rule pasted from docs with https:// (lint warns; load does not). */
  'urn:test:https-rule': `@RuleName = "Permit compliant (https spelling)"\nexists([Type == "${D.isCompliant.replace('http:', 'https:')}", Value == "true"]) => ${PERMIT};\n`,
  /** Every device type, each alone permits: any forged device claim would show. */
  'urn:test:any-device-claim': Object.values(D)
    .map((t, i) => `@RuleName = "device claim ${i}"\nexists([Type == "${t}"]) => ${PERMIT};\n`)
    .join('\n'),
  /** A deny rule fed by a dynamic regex built from a caller claim; everyone else is permitted. */
  'urn:test:dynamic-regex': `@RuleName = "Deny blocked UPN pattern"\nc1:[Type == "urn:test:blockedpattern"] && c2:[Type == "${R.upn}", Value =~ c1.Value] => ${DENY};\n\n@RuleName = "Permit everyone else"\n => ${PERMIT};\n`,
  /** A deny rule fed by the Active Directory store: members of anything big are denied; others permitted. */
  'urn:test:ad-store-deny': `@RuleName = "Users from AD"\nc:[Type == "${R.windowsAccountName}"] => add(store = "Active Directory", types = ("urn:test:adusers"), query = "(objectClass=*);distinguishedName;{0}", param = c.Value);\n\n@RuleName = "Deny when AD lists the account"\nexists([Type == "urn:test:adusers"]) => ${DENY};\n\n@RuleName = "Permit everyone else"\n => ${PERMIT};\n`,
} as const;

export type ForgeryParty = keyof typeof FORGERY_PARTIES;

/** rules/ plus the forgery relying parties (and farm.json overrides); removed at teardown. */
export function forgeryRules(t: { teardown(fn: () => unknown): void }, farmExtra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'dg-forgery-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rules = join(dir, 'rules');
  cpSync(RULES, rules, { recursive: true });
  for (const [id, text] of Object.entries(FORGERY_PARTIES)) {
    const slug = id.slice('urn:test:'.length);
    const rp = join(rules, 'relying-parties', slug);
    mkdirSync(rp, { recursive: true });
    writeFileSync(join(rp, 'relying-party.json'), JSON.stringify({ name: slug, identifiers: [id], enabled: true, mode: 'enforce' }));
    writeFileSync(join(rp, 'authorization.rules'), text);
  }
  const farm = JSON.parse(readFileSync(join(rules, 'farm.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(rules, 'farm.json'), JSON.stringify({ ...farm, ...farmExtra }));
  return rules;
}
