import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { compileRuleSet, formatDiagnostic, parseRuleSet, printRuleSet } from '../language/index.js';
import { decodeText } from '../text/index.js';
import { BUILT_IN_POLICIES, compileAccessControlPolicy, type CustomAccessControlPolicy } from './access-control-policies.js';
import { POLICIES_DIR, POLICY_JSON, POLICY_XML, parsePolicyConfig } from './custom-policies.js';
import { PolicyError } from './errors.js';
import { parsePolicyMetadata } from './policy-metadata.js';
import { importStoreWarnings } from './store-availability.js';

/** One relying party trust as `Get-AdfsRelyingPartyTrust | ConvertTo-Json` prints it (fields we use). */
export interface AdfsTrustExport {
  readonly Name?: unknown;
  readonly Identifier?: unknown;
  readonly Enabled?: unknown;
  readonly IssuanceAuthorizationRules?: unknown;
  readonly IssuanceTransformRules?: unknown;
  readonly AdditionalAuthenticationRules?: unknown;
  readonly AccessControlPolicyName?: unknown;
  readonly AccessControlPolicyParameters?: unknown;
  /** The policy as applied to this trust: { IsParameterized, Serialized: "<PolicyMetadata ...>", Summary }. */
  readonly ResultantPolicy?: unknown;
}

/** One policy as `Get-AdfsAccessControlPolicy | ConvertTo-Json` prints it (fields we use). */
export interface AdfsPolicyExport {
  readonly Name?: unknown;
  readonly Description?: unknown;
  readonly IsBuiltIn?: unknown;
  /** { IsParameterized, Serialized, Summary } (or, at a shallow -Depth, the XML text itself). */
  readonly PolicyMetadata?: unknown;
}

export interface ImportedPolicy {
  readonly name: string;
  readonly slug: string;
  /** "policies export" or the trust whose ResultantPolicy it came from. */
  readonly source: string;
}

export interface ImportedTrust {
  readonly name: string;
  readonly slug: string;
  readonly files: readonly string[];
  readonly warnings: readonly string[];
}

export interface SkippedTrust {
  readonly name: string;
  readonly problems: readonly string[];
}

export interface ImportReport {
  readonly imported: readonly ImportedTrust[];
  readonly skipped: readonly SkippedTrust[];
  /** Custom access control policies written to access-control-policies/. */
  readonly policies: readonly ImportedPolicy[];
  readonly skippedPolicies: readonly SkippedTrust[];
}

export interface ImportOptions {
  readonly outDir: string;
  /** Replace relying parties that already exist in outDir (default: skip them with a problem). */
  readonly force?: boolean;
  /** Shown in messages instead of the full input path. */
  readonly inputName?: string;
  /** A `Get-AdfsAccessControlPolicy | ConvertTo-Json` export: custom policies to write and to resolve trusts against. */
  readonly policiesPath?: string;
  readonly policiesName?: string;
}

export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug === '' ? 'relying-party' : slug;
}

function text(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string') return undefined;
  return value.trim() === '' ? undefined : value;
}

/** PowerShell sometimes nests arrays as { value: [...], Count: n } in ConvertTo-Json output. */
function unwrap(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Array.isArray((value as { value?: unknown }).value)) {
    return (value as { value: unknown }).value;
  }
  return value;
}

function parseObjects(bytes: Buffer, inputName: string, what: string): Record<string, unknown>[] {
  let json: unknown;
  try {
    json = JSON.parse(decodeText(bytes));
  } catch (error) {
    throw new PolicyError('DG_ERR_POLICY_IMPORT', `${inputName}: not valid JSON (${(error as Error).message})`);
  }
  json = unwrap(json);
  const list = Array.isArray(json) ? json : [json];
  if (list.length === 0) throw new PolicyError('DG_ERR_POLICY_IMPORT', `${inputName}: holds no ${what}`);
  for (const [i, item] of list.entries()) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new PolicyError('DG_ERR_POLICY_IMPORT', `${inputName}: item ${i + 1} is not a ${what} object`);
    }
  }
  return list as Record<string, unknown>[];
}

/** Parses an export file's bytes (any encoding decodeText reads: PowerShell's UTF-16 or UTF-8 with BOM). */
export function parseAdfsExport(bytes: Buffer, inputName: string): AdfsTrustExport[] {
  return parseObjects(bytes, inputName, 'relying party trust');
}

/** Parses a `Get-AdfsAccessControlPolicy | ConvertTo-Json` export. */
export function parseAdfsPolicyExport(bytes: Buffer, inputName: string): AdfsPolicyExport[] {
  const list = parseObjects(bytes, inputName, 'access control policy');
  for (const [i, item] of list.entries()) {
    if (typeof item['Name'] !== 'string' || item['Name'].trim() === '') throw new PolicyError('DG_ERR_POLICY_IMPORT', `${inputName}: item ${i + 1} has no Name (not an access control policy)`);
  }
  return list;
}

/** The serialized PolicyMetadata of a ResultantPolicy / PolicyMetadata field (object with Serialized, or the XML itself). */
export function serializedPolicy(value: unknown): string | undefined {
  const xml = typeof value === 'string' ? value : value !== null && typeof value === 'object' ? (value as { Serialized?: unknown }).Serialized : undefined;
  return typeof xml === 'string' && xml.trim().startsWith('<') ? xml : undefined;
}

/** Canonical text files: LF line ends, one final newline. */
function canonical(text: string): string {
  const lf = text.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
  return `${lf}\n`;
}

interface PlannedTrust {
  readonly name: string;
  readonly slug: string;
  readonly files: Record<string, string>;
  readonly warnings: string[];
}

interface PolicyPlan {
  readonly name: string;
  readonly slug: string;
  readonly xml: string;
  readonly description?: string;
  readonly source: string;
  /** Already present in the output tree (nothing to write). */
  readonly existing: boolean;
}

interface PolicyBook {
  /** Custom policies by name: from --policies, the output tree, or earlier trusts' ResultantPolicy. */
  readonly byName: Map<string, PolicyPlan>;
  readonly compiled: Map<string, CustomAccessControlPolicy>;
  readonly usedSlugs: Set<string>;
}

function policyProblems(xml: string, shownFile: string): { policy?: CustomAccessControlPolicy['template']; problems: string[] } {
  const { policy, problems } = parsePolicyMetadata(decodeText(Buffer.from(canonical(xml))));
  return { ...(policy !== undefined ? { policy } : {}), problems: problems.filter((p) => p.severity === 'error').map((p) => `${shownFile}:${p.line}:${p.column}: error: ${p.message}`) };
}

function uniqueSlug(name: string, used: Set<string>): string {
  let slug = slugify(name);
  for (let n = 2; used.has(slug); n++) slug = `${slugify(name)}-${n}`;
  return slug;
}

/** Adds a policy to the book (validated); problems when its XML is not one devicegate can evaluate. */
function addPolicy(book: PolicyBook, name: string, xml: string, source: string, description?: string, existingSlug?: string): string[] {
  const slug = existingSlug ?? uniqueSlug(name, book.usedSlugs);
  const { policy, problems } = policyProblems(xml, `${POLICIES_DIR}/${slug}/${POLICY_XML}`);
  if (policy === undefined) return problems;
  book.usedSlugs.add(slug);
  book.byName.set(name, { name, slug, xml: canonical(xml), source, existing: existingSlug !== undefined, ...(description !== undefined ? { description } : {}) });
  book.compiled.set(name, { name, file: `${POLICIES_DIR}/${slug}/${POLICY_XML}`, template: policy });
  return [];
}

function planTrust(trust: AdfsTrustExport, index: number, slug: string, book: PolicyBook): { plan?: PlannedTrust; problems: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const name = text(trust.Name) ?? '';
  const label = name !== '' ? `trust "${name}"` : `trust ${index + 1}`;
  if (name === '') problems.push(`${label}: has no Name`);
  const rawIds = unwrap(trust.Identifier);
  const identifiers = (typeof rawIds === 'string' ? [rawIds] : Array.isArray(rawIds) ? rawIds : []).filter((s): s is string => typeof s === 'string' && s.trim() !== '');
  if (identifiers.length === 0) problems.push(`${label}: has no Identifier`);
  const enabled = trust.Enabled === undefined || trust.Enabled === null ? true : trust.Enabled === true;

  const files: Record<string, string> = {};
  const ruleFiles: [string, unknown][] = [
    ['authorization.rules', trust.IssuanceAuthorizationRules],
    ['additional-authentication.rules', trust.AdditionalAuthenticationRules],
    ['issuance.rules', trust.IssuanceTransformRules],
  ];
  let acpName = text(trust.AccessControlPolicyName);
  let accessControlPolicy: { name: string; parameters?: Record<string, unknown> } | undefined;
  if (acpName !== undefined) {
    const rawParams = trust.AccessControlPolicyParameters;
    let parameters: Record<string, unknown> | undefined;
    if (rawParams !== null && rawParams !== undefined) {
      if (typeof rawParams !== 'object' || Array.isArray(rawParams)) problems.push(`${label}: AccessControlPolicyParameters is not an object`);
      else if (Object.keys(rawParams).length > 0) parameters = Object.fromEntries(Object.entries(rawParams).map(([k, v]) => [k, unwrap(v)]));
    }
    if (!BUILT_IN_POLICIES.has(acpName) && !book.byName.has(acpName)) {
      // A custom policy we do not have yet: the trust's ResultantPolicy carries it.
      const xml = serializedPolicy(trust.ResultantPolicy);
      if (xml === undefined) {
        problems.push(`${label}: access control policy "${acpName}" is not built in, and neither the trust's ResultantPolicy nor a --policies export holds it`);
      } else {
        if (parameters !== undefined) {
          // The resultant policy has this trust's parameters filled in: it is this trust's own policy.
          warnings.push(`${label}: "${acpName}" is parameterized and no --policies export holds it; imported the trust's resolved ResultantPolicy as "${acpName} (${name})"`);
          acpName = `${acpName} (${name})`;
          parameters = undefined;
        }
        problems.push(...addPolicy(book, acpName, xml, `ResultantPolicy of ${label}`).map((p) => `${label}: ${p}`));
      }
    }
    const compiled = compileAccessControlPolicy(acpName, parameters, book.compiled);
    if (problems.length === 0) for (const p of compiled.problems) problems.push(`${label}: ${p}`);
    accessControlPolicy = parameters !== undefined ? { name: acpName, parameters } : { name: acpName };
    if (text(trust.IssuanceAuthorizationRules) !== undefined) {
      warnings.push(`${label}: has both an access control policy and issuance authorization rules; kept the policy (AD FS uses one or the other)`);
    }
  }
  for (const [file, value] of ruleFiles) {
    if (file === 'authorization.rules' && accessControlPolicy !== undefined) continue;
    if (value !== null && value !== undefined && typeof value !== 'string') {
      problems.push(`${label}: ${file === 'authorization.rules' ? 'IssuanceAuthorizationRules' : file === 'issuance.rules' ? 'IssuanceTransformRules' : 'AdditionalAuthenticationRules'} is not a string`);
      continue;
    }
    const source = text(value);
    if (source === undefined) {
      if (file === 'authorization.rules') {
        files[file] = '';
        warnings.push(`${label}: has no issuance authorization rules and no access control policy; everyone is denied (as in AD FS)`);
      }
      continue;
    }
    const shown = `relying-parties/${slug}/${file}`;
    const lf = source.replace(/\r\n?/g, '\n');
    // A store devicegate cannot serve keeps the trust, with a warning (store-availability.ts).
    const { ruleSet, diagnostics } = compileRuleSet(lf, { file: shown, attributeStores: ['Active Directory'], unknownStoreSeverity: 'warning' });
    if (ruleSet === undefined) {
      for (const d of diagnostics) problems.push(`${label}: ${formatDiagnostic(d, lf)}`);
      continue;
    }
    for (const w of importStoreWarnings(name, file, ruleSet, diagnostics, lf)) warnings.push(`${label}: ${w}`);
    // Written canonically (what `rules fmt` writes), so the imported tree is fmt-clean.
    files[file] = printRuleSet(parseRuleSet(lf).ast);
  }
  if (problems.length > 0) return { problems };
  const config = {
    name,
    identifiers,
    enabled,
    mode: 'enforce',
    ...(accessControlPolicy !== undefined ? { accessControlPolicy } : {}),
  };
  files['relying-party.json'] = `${JSON.stringify(config, null, 2)}\n`;
  return { plan: { name, slug, files, warnings }, problems };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readInput(path: string, name: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new PolicyError('DG_ERR_POLICY_IMPORT', `${name}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Custom policies already in the output tree, by name (so re-imports and --policies runs line up). */
async function existingPolicies(out: string): Promise<Map<string, { slug: string; xml: string }>> {
  const found = new Map<string, { slug: string; xml: string }>();
  let slugs: string[] = [];
  try {
    slugs = (await readdir(join(out, POLICIES_DIR), { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch {
    return found;
  }
  for (const slug of slugs) {
    try {
      const { name } = parsePolicyConfig(JSON.parse(decodeText(await readFile(join(out, POLICIES_DIR, slug, POLICY_JSON)))));
      const xml = decodeText(await readFile(join(out, POLICIES_DIR, slug, POLICY_XML)));
      if (name !== undefined) found.set(name, { slug, xml });
    } catch {
      // A broken policy in the output tree is `rules lint`'s to report; import leaves it alone.
    }
  }
  return found;
}

/** Writes dir's files via a staging directory and a rename, replacing target (never half-written). */
async function placeDirectory(staging: string, name: string, files: Record<string, string>, target: string): Promise<void> {
  const dir = join(staging, name);
  await mkdir(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content);
  await mkdir(join(target, '..'), { recursive: true });
  if (await exists(target)) {
    const old = join(staging, `${name}.old`);
    await rename(target, old);
    await rename(dir, target);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(dir, target);
  }
}

/**
 * Imports an AD FS relying-party export (and/or an access control policy export) into the rules/
 * layout. A trust whose rules or policy do not load is skipped with every diagnostic; custom policies
 * come from the policies export or from a trust's ResultantPolicy and go to access-control-policies/.
 * Every directory is assembled in a temporary directory and renamed into place.
 */
export async function importAdfsExport(inputPath: string | undefined, options: ImportOptions): Promise<ImportReport> {
  const inputName = options.inputName ?? (inputPath !== undefined ? basename(inputPath) : '');
  const trusts = inputPath !== undefined ? parseAdfsExport(await readInput(inputPath, inputName), inputName) : [];
  const policiesName = options.policiesName ?? (options.policiesPath !== undefined ? basename(options.policiesPath) : '');
  const policyExports = options.policiesPath !== undefined ? parseAdfsPolicyExport(await readInput(options.policiesPath, policiesName), policiesName) : [];
  const out = resolve(options.outDir);
  const rpRoot = join(out, 'relying-parties');
  await mkdir(rpRoot, { recursive: true });
  if (!(await exists(join(out, 'farm.json')))) await writeFile(join(out, 'farm.json'), '{}\n');

  const book: PolicyBook = { byName: new Map(), compiled: new Map(), usedSlugs: new Set() };
  const already = await existingPolicies(out);
  for (const { slug } of already.values()) book.usedSlugs.add(slug);
  const skippedPolicies: SkippedTrust[] = [];
  for (const p of policyExports) {
    const name = (p.Name as string).trim();
    if (p.IsBuiltIn === true || BUILT_IN_POLICIES.has(name)) continue;
    const xml = serializedPolicy(p.PolicyMetadata);
    if (xml === undefined) {
      skippedPolicies.push({ name, problems: [`policy "${name}": has no PolicyMetadata.Serialized (export with ConvertTo-Json -Depth 4)`] });
      continue;
    }
    const have = already.get(name);
    if (have !== undefined && options.force !== true && have.xml !== canonical(xml)) {
      skippedPolicies.push({ name, problems: [`policy "${name}": ${POLICIES_DIR}/${have.slug} already exists with other content (use --force to replace it)`] });
      continue;
    }
    const description = text(p.Description);
    const problems = addPolicy(book, name, xml, policiesName, description, have?.slug);
    if (problems.length > 0) skippedPolicies.push({ name, problems: problems.map((m) => `policy "${name}": ${m}`) });
  }
  // Policies already in the tree that no export replaced: trusts may reference them.
  for (const [name, { slug, xml }] of already) {
    if (!book.byName.has(name)) addPolicy(book, name, xml, 'existing', undefined, slug);
  }
  const fromExport = new Set(book.byName.keys());

  const imported: ImportedTrust[] = [];
  const skipped: SkippedTrust[] = [];
  const policies: ImportedPolicy[] = [];
  const used = new Set<string>();
  const staging = join(out, `.import-${randomBytes(6).toString('hex')}`);
  await mkdir(staging);
  const written = new Set<string>();
  const writePolicy = async (name: string): Promise<void> => {
    const plan = book.byName.get(name);
    if (plan === undefined || written.has(name)) return;
    written.add(name);
    const have = already.get(name);
    if (have !== undefined && have.xml === plan.xml) return;
    const config = { name, ...(plan.description !== undefined ? { description: plan.description } : {}) };
    await placeDirectory(staging, `policy-${plan.slug}`, { [POLICY_JSON]: `${JSON.stringify(config, null, 2)}\n`, [POLICY_XML]: plan.xml }, join(out, POLICIES_DIR, plan.slug));
    policies.push({ name, slug: plan.slug, source: plan.source });
  };
  try {
    for (const name of fromExport) if (book.byName.get(name)?.source === policiesName) await writePolicy(name);
    for (const [index, trust] of trusts.entries()) {
      const name = text(trust.Name) ?? `trust ${index + 1}`;
      let slug = slugify(name);
      for (let n = 2; used.has(slug); n++) slug = `${slugify(name)}-${n}`;
      const before = new Set(book.byName.keys());
      const { plan, problems } = planTrust(trust, index, slug, book);
      if (plan === undefined) {
        // A policy this trust brought in is not kept when the trust is skipped.
        for (const n of [...book.byName.keys()]) {
          if (before.has(n)) continue;
          book.byName.delete(n);
          book.compiled.delete(n);
        }
        skipped.push({ name, problems });
        continue;
      }
      const target = join(rpRoot, slug);
      if ((await exists(target)) && options.force !== true) {
        skipped.push({ name, problems: [`trust "${name}": ${join('relying-parties', slug)} already exists (use --force to replace it)`] });
        continue;
      }
      used.add(slug);
      const acp = (JSON.parse(plan.files['relying-party.json']!) as { accessControlPolicy?: { name: string } }).accessControlPolicy;
      if (acp !== undefined) await writePolicy(acp.name);
      await placeDirectory(staging, slug, plan.files, target);
      imported.push({ name: plan.name, slug, files: Object.keys(plan.files).sort(), warnings: plan.warnings });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { imported, skipped, policies, skippedPolicies };
}
