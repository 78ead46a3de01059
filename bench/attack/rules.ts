/**
 * The rules/ tree the attack scenario serves: the repo's sample relying parties (the ordinary client
 * asks Payroll) plus three attack relying parties, each the shape of rule the issue's attacker used.
 * None of them can permit the attack requests: a permit needs a claim value the attacker never sends.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ATTACK_TYPE = 'http://attack.example/claims/g';
const PERMIT = 'http://schemas.microsoft.com/authorization/claims/permit';

export const ATTACK_RPS = {
  redos: 'https://attack-redos.example/',
  join: 'https://attack-join.example/',
  fanout: 'https://attack-fanout.example/',
} as const;

const RULES: Record<keyof typeof ATTACK_RPS, string> = {
  // Backtracking engines take time exponential in the length of "aaaa...a!" for this pattern.
  redos: `@RuleName = "Names of a's only"
c:[Type == "${ATTACK_TYPE}", Value =~ "^(a+)+$"]
 => issue(Type = "${PERMIT}", Value = "true");
`,
  // One caller-controlled claim type joined with itself three ways: n^3 tuples, n^3 claims.
  join: `@RuleName = "Three of a kind"
c1:[Type == "${ATTACK_TYPE}"] && c2:[Type == "${ATTACK_TYPE}"] && c3:[Type == "${ATTACK_TYPE}"]
 => add(Type = "http://attack.example/claims/triple", Value = c1.Value + c2.Value + c3.Value);

@RuleName = "Permit the impossible triple"
exists([Type == "http://attack.example/claims/triple", Value == "never"])
 => issue(Type = "${PERMIT}", Value = "true");
`,
  // One Active Directory store query per caller claim.
  fanout: `@RuleName = "Mail of every name"
c:[Type == "${ATTACK_TYPE}"]
 => add(store = "Active Directory", types = ("http://attack.example/claims/mail"), query = ";mail;{0}", param = c.Value);

@RuleName = "Permit a mail nobody has"
exists([Type == "http://attack.example/claims/mail", Value == "never@attack.example"])
 => issue(Type = "${PERMIT}", Value = "true");
`,
};

/** Copies `repoRules` to a temp folder and adds the attack relying parties; returns the folder. */
export function writeAttackRules(repoRules: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'dg-attack-')), 'rules');
  cpSync(repoRules, dir, { recursive: true });
  for (const [name, id] of Object.entries(ATTACK_RPS) as [keyof typeof ATTACK_RPS, string][]) {
    const rp = join(dir, 'relying-parties', `attack-${name}`);
    mkdirSync(rp, { recursive: true });
    writeFileSync(join(rp, 'relying-party.json'), `${JSON.stringify({ name: `Attack ${name}`, identifiers: [id], enabled: true, mode: 'enforce' }, null, 2)}\n`);
    writeFileSync(join(rp, 'authorization.rules'), RULES[name]);
  }
  return dir;
}
