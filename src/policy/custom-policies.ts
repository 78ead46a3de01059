import { readdir } from 'node:fs/promises';
import { readOptional } from './read-optional.js';
import { join } from 'node:path';
import { decodeText } from '../text/index.js';
import { BUILT_IN_POLICIES, type CustomAccessControlPolicy } from './access-control-policies.js';
import type { JsonIssue } from './json-position.js';
import { loadProblem, type LoadProblem } from './load-problem.js';
import { parsePolicyMetadata } from './policy-metadata.js';

/** rules/access-control-policies/<slug>/: the policy's name and AD FS's serialized PolicyMetadata. */
export const POLICIES_DIR = 'access-control-policies';
export const POLICY_JSON = 'access-control-policy.json';
export const POLICY_XML = 'policy-metadata.xml';

type ReadJson = (abs: string, bytes: Buffer) => { value: unknown; report: (issues: readonly JsonIssue[]) => void } | undefined;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates access-control-policy.json: { "name", "description"? }. */
export function parsePolicyConfig(json: unknown): { name?: string; problems: JsonIssue[] } {
  if (!isRecord(json)) return { problems: [{ path: [], message: 'must be a JSON object { "name", "description"? }' }] };
  const problems: JsonIssue[] = [];
  for (const key of Object.keys(json)) if (key !== 'name' && key !== 'description') problems.push({ path: [key], at: 'key', message: `unknown key "${key}"` });
  const name = json['name'];
  if (typeof name !== 'string' || name.trim() === '') problems.push({ path: ['name'], message: '"name" must be a non-empty string (the policy name as AD FS shows it)' });
  if (json['description'] !== undefined && typeof json['description'] !== 'string') problems.push({ path: ['description'], message: '"description" must be a string' });
  return problems.length > 0 ? { problems } : { name: (name as string).trim(), problems };
}


/** Loads every custom policy; problems (with file:line:col) go to `found`. */
export async function loadCustomPolicies(
  root: string,
  shown: (abs: string) => string,
  found: LoadProblem[],
  remember: (rel: string, bytes: Buffer) => void,
  readJson: ReadJson,
): Promise<Map<string, CustomAccessControlPolicy>> {
  const policies = new Map<string, CustomAccessControlPolicy>();
  const dir = join(root, POLICIES_DIR);
  let slugs: string[] = [];
  try {
    slugs = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
  }
  for (const slug of slugs) {
    const jsonPath = join(dir, slug, POLICY_JSON);
    const xmlPath = join(dir, slug, POLICY_XML);
    const jsonBytes = await readOptional(jsonPath);
    const xmlBytes = await readOptional(xmlPath);
    if (jsonBytes === undefined) found.push(loadProblem({ file: shown(jsonPath), severity: 'error', message: 'file not found (a custom policy needs its name here)' }));
    if (xmlBytes === undefined) found.push(loadProblem({ file: shown(xmlPath), severity: 'error', message: 'file not found (the policy as AD FS serializes it: PolicyMetadata XML)' }));
    if (jsonBytes === undefined || xmlBytes === undefined) continue;
    remember(`${POLICIES_DIR}/${slug}/${POLICY_JSON}`, jsonBytes);
    remember(`${POLICIES_DIR}/${slug}/${POLICY_XML}`, xmlBytes);
    const json = readJson(jsonPath, jsonBytes);
    let name: string | undefined;
    if (json !== undefined) {
      const parsed = parsePolicyConfig(json.value);
      json.report(parsed.problems);
      name = parsed.name;
      if (name !== undefined && BUILT_IN_POLICIES.has(name)) {
        json.report([{ path: ['name'], message: `"${name}" is a built-in policy; a custom policy needs a name of its own` }]);
        name = undefined;
      } else if (name !== undefined && policies.has(name)) {
        json.report([{ path: ['name'], message: `policy "${name}" is already defined in ${policies.get(name)!.file}` }]);
        name = undefined;
      }
    }
    const { policy, problems } = parsePolicyMetadata(decodeText(xmlBytes));
    for (const p of problems) found.push(loadProblem({ file: shown(xmlPath), line: p.line, column: p.column, severity: p.severity, message: p.message }));
    if (name !== undefined && policy !== undefined) policies.set(name, { name, file: shown(xmlPath), template: policy });
  }
  return policies;
}
