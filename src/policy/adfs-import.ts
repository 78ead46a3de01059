import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { compileRuleSet, formatDiagnostic } from '../language/index.js';
import { compileAccessControlPolicy } from './access-control-policies.js';
import { PolicyError } from './errors.js';
import { decodeText } from './registry.js';
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
}

export interface ImportOptions {
  readonly outDir: string;
  /** Replace relying parties that already exist in outDir (default: skip them with a problem). */
  readonly force?: boolean;
  /** Shown in messages instead of the full input path. */
  readonly inputName?: string;
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

/** Parses an export file's bytes (UTF-8, UTF-8 BOM or UTF-16 LE BOM as PowerShell writes). */
export function parseAdfsExport(bytes: Buffer, inputName: string): AdfsTrustExport[] {
  let json: unknown;
  try {
    json = JSON.parse(decodeText(bytes));
  } catch (error) {
    throw new PolicyError('DG_ERR_POLICY_IMPORT', `${inputName}: not valid JSON (${(error as Error).message})`);
  }
  json = unwrap(json);
  const list = Array.isArray(json) ? json : [json];
  if (list.length === 0) throw new PolicyError('DG_ERR_POLICY_IMPORT', `${inputName}: holds no relying party trust`);
  for (const [i, item] of list.entries()) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new PolicyError('DG_ERR_POLICY_IMPORT', `${inputName}: item ${i + 1} is not a relying party trust object`);
    }
  }
  return list as AdfsTrustExport[];
}

interface PlannedTrust {
  readonly name: string;
  readonly slug: string;
  readonly files: Record<string, string>;
  readonly warnings: string[];
}

function planTrust(trust: AdfsTrustExport, index: number, slug: string): { plan?: PlannedTrust; problems: string[] } {
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
  const acpName = text(trust.AccessControlPolicyName);
  let accessControlPolicy: { name: string; parameters?: Record<string, unknown> } | undefined;
  if (acpName !== undefined) {
    const rawParams = trust.AccessControlPolicyParameters;
    let parameters: Record<string, unknown> | undefined;
    if (rawParams !== null && rawParams !== undefined) {
      if (typeof rawParams !== 'object' || Array.isArray(rawParams)) problems.push(`${label}: AccessControlPolicyParameters is not an object`);
      else parameters = Object.fromEntries(Object.entries(rawParams).map(([k, v]) => [k, unwrap(v)]));
    }
    const compiled = compileAccessControlPolicy(acpName, parameters);
    for (const p of compiled.problems) problems.push(`${label}: ${p}`);
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
    // A store devicegate cannot serve keeps the trust, with a warning (store-availability.ts).
    const { ruleSet, diagnostics } = compileRuleSet(source, { file: shown, attributeStores: ['Active Directory'], unknownStoreSeverity: 'warning' });
    if (ruleSet === undefined) {
      for (const d of diagnostics) problems.push(`${label}: ${formatDiagnostic(d, source)}`);
      continue;
    }
    for (const w of importStoreWarnings(name, file, ruleSet, diagnostics, source)) warnings.push(`${label}: ${w}`);
    files[file] = source.endsWith('\n') ? source : `${source}\n`;
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

/**
 * Imports an AD FS relying-party export into the rules/ layout. A trust whose rules do not parse is
 * skipped with every diagnostic; each written trust is assembled in a temporary directory and renamed
 * into place, so nothing is ever half-written.
 */
export async function importAdfsExport(inputPath: string, options: ImportOptions): Promise<ImportReport> {
  const inputName = options.inputName ?? basename(inputPath);
  let bytes: Buffer;
  try {
    bytes = await readFile(inputPath);
  } catch (error) {
    throw new PolicyError('DG_ERR_POLICY_IMPORT', `${inputName}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const trusts = parseAdfsExport(bytes, inputName);
  const out = resolve(options.outDir);
  const rpRoot = join(out, 'relying-parties');
  await mkdir(rpRoot, { recursive: true });
  if (!(await exists(join(out, 'farm.json')))) await writeFile(join(out, 'farm.json'), '{}\n');

  const imported: ImportedTrust[] = [];
  const skipped: SkippedTrust[] = [];
  const used = new Set<string>();
  const staging = join(out, `.import-${randomBytes(6).toString('hex')}`);
  await mkdir(staging);
  try {
    for (const [index, trust] of trusts.entries()) {
      const name = text(trust.Name) ?? `trust ${index + 1}`;
      let slug = slugify(name);
      for (let n = 2; used.has(slug); n++) slug = `${slugify(name)}-${n}`;
      const { plan, problems } = planTrust(trust, index, slug);
      if (plan === undefined) {
        skipped.push({ name, problems });
        continue;
      }
      const target = join(rpRoot, slug);
      if ((await exists(target)) && options.force !== true) {
        skipped.push({ name, problems: [`trust "${name}": ${join('relying-parties', slug)} already exists (use --force to replace it)`] });
        continue;
      }
      used.add(slug);
      const dir = join(staging, slug);
      await mkdir(dir);
      for (const [file, content] of Object.entries(plan.files)) await writeFile(join(dir, file), content);
      if (await exists(target)) {
        const old = join(staging, `${slug}.old`);
        await rename(target, old);
        await rename(dir, target);
        await rm(old, { recursive: true, force: true });
      } else {
        await rename(dir, target);
      }
      imported.push({ name: plan.name, slug, files: Object.keys(plan.files).sort(), warnings: plan.warnings });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { imported, skipped };
}
