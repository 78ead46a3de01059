// Turns the AD-shaped fixture LDIF into what each test server accepts.
import { parseLdif, type RawValue } from '../../src/directory/index.js';
import type { LdifRecord } from './write-ldif.js';

// Made by AD itself; neither slapd (no such attributes) nor Samba (server-owned) takes them.
const SERVER_MADE = new Set([
  'objectguid', 'whencreated', 'whenchanged', 'usnchanged', 'usncreated', 'objectcategory', 'instancetype',
  'ntsecuritydescriptor', 'distinguishedname', 'name', 'dscorepropagationdata', 'pwdlastset', 'primarygroupid',
]);

const norm = (dn: string) => dn.replace(/\s*,\s*/g, ',').toLowerCase();
const text = (v: RawValue) => (typeof v === 'string' ? v : v.toString('utf8'));

function classes(attrs: Map<string, RawValue[]>): string[] {
  return (attrs.get('objectclass') ?? []).map((v) => text(v).toLowerCase());
}

function rdnValue(dn: string): string {
  const first = dn.split(',')[0] ?? '';
  return first.slice(first.indexOf('=') + 1);
}

export function readFixture(ldif: string, file: string): LdifRecord[] {
  return parseLdif(ldif, file).map((e) => ({ dn: e.dn, attributes: new Map(e.attributes) }));
}

/** slapd: drop AD-made attributes, fill person's MUST sn, synthesize missing parents, keep parents first. */
export function adaptForSlapd(records: readonly LdifRecord[], suffix: string): LdifRecord[] {
  const out: LdifRecord[] = [];
  const seen = new Set<string>();
  const suffixN = norm(suffix);
  const ensureParents = (dn: string) => {
    const parts = dn.split(/\s*,\s*/);
    for (let i = parts.length - 1; i >= 1; i--) {
      const parent = parts.slice(i).join(',');
      const pn = norm(parent);
      if (seen.has(pn) || !pn.endsWith(suffixN)) continue;
      seen.add(pn);
      const isDc = /^dc=/i.test(parent);
      out.push({
        dn: parent,
        attributes: new Map<string, RawValue[]>(isDc
          ? [['objectClass', ['top', 'domainDNS']], ['dc', [rdnValue(parent)]]]
          : [['objectClass', ['top', 'container']], ['cn', [rdnValue(parent)]]]),
      });
    }
  };
  for (const r of records) {
    const attrs = new Map<string, RawValue[]>();
    for (const [name, values] of r.attributes) if (!SERVER_MADE.has(name.toLowerCase())) attrs.set(name.toLowerCase(), [...values]);
    const cls = classes(attrs);
    if (cls.includes('domaindns') && cls.includes('domain')) attrs.set('objectclass', (attrs.get('objectclass') ?? []).filter((v) => text(v).toLowerCase() !== 'domain'));
    if (cls.includes('user') && !attrs.has('sn')) attrs.set('sn', [text(attrs.get('cn')?.[0] ?? rdnValue(r.dn))]);
    if (cls.includes('user')) {
      // slapd: user derives from inetOrgPerson; drop AD-only classes slapd lacks.
      attrs.set('objectclass', (attrs.get('objectclass') ?? []).filter((v) => !['computer'].includes(text(v).toLowerCase())));
    }
    ensureParents(r.dn);
    const n = norm(r.dn);
    if (seen.has(n)) {
      // A synthesized parent is replaced by the real entry.
      const i = out.findIndex((o) => norm(o.dn) === n);
      if (i >= 0) out[i] = { dn: r.dn, attributes: attrs };
      continue;
    }
    seen.add(n);
    out.push({ dn: r.dn, attributes: attrs });
  }
  return out;
}

export interface SambaData {
  /** Entries to ldbadd (containers, devices, DRS objects, users/groups without SIDs). */
  readonly add: LdifRecord[];
  /** Users to create with samba-tool (they need a password). */
  readonly accounts: { sAMAccountName: string; password: string; dn: string }[];
}

/** Entries a fresh Samba 2012_R2 provision already holds. */
function sambaHas(dnN: string, domainN: string): boolean {
  return [domainN, `cn=users,${domainN}`, `cn=configuration,${domainN}`, `cn=services,cn=configuration,${domainN}`, `cn=schema,cn=configuration,${domainN}`].includes(dnN);
}

/** Samba: skip what provision made, no SIDs/passwords/memberOf (server-made), accounts with passwords via samba-tool. */
export function adaptForSamba(records: readonly LdifRecord[], domain: string): SambaData {
  const domainN = norm(domain);
  const add: LdifRecord[] = [];
  const accounts: SambaData['accounts'] = [];
  const later: LdifRecord[] = [];
  for (const r of records) {
    const n = norm(r.dn);
    if (sambaHas(n, domainN)) continue;
    const attrs = new Map<string, RawValue[]>();
    for (const [name, values] of r.attributes) {
      const lower = name.toLowerCase();
      // msDS-KeyCredentialLink names its own holder (DN-Binary): Samba takes it only once the user exists.
      if (SERVER_MADE.has(lower) || ['objectsid', 'memberof', 'userpassword', 'samaccounttype', 'useraccountcontrol', 'msds-keycredentiallink'].includes(lower)) continue;
      attrs.set(lower, [...values]);
    }
    const cls = classes(attrs);
    const password = r.attributes.get('userpassword')?.[0];
    if (cls.includes('user') && password !== undefined) {
      accounts.push({ sAMAccountName: text(attrs.get('samaccountname')?.[0] ?? rdnValue(r.dn)), password: text(password), dn: r.dn });
      continue;
    }
    if (cls.includes('user') || cls.includes('group')) {
      if (cls.includes('user')) attrs.set('objectclass', ['top', 'person', 'organizationalPerson', 'user']);
      // groups reference users through member: add them after everything else
      (cls.includes('group') ? later : add).push({ dn: r.dn, attributes: attrs });
      continue;
    }
    // DN-valued links (msDS-DeviceLocation) must point at entries that already exist in Samba.
    (attrs.has('msds-devicelocation') ? later : add).push({ dn: r.dn, attributes: attrs });
  }
  return { add: [...add, ...later], accounts };
}
