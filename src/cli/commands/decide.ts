import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openDirectory, type DeviceDirectory } from '../../directory/index.js';
import { makeClaim, type Claim } from '../../language/index.js';
import {
  createDecisionEngine,
  parseRfc3339,
  PolicyLoadError,
  simulated,
  type Decision,
  type DecisionEngineWithInternals,
  type DecisionRequest,
  type DevicePresentation,
  type Logger,
} from '../../policy/index.js';
import { readTextFile } from '../../text/index.js';
import { parseCommandArgs } from '../args.js';
import { DEVICE_OPTIONS, devicePresentationFromFlags } from '../device-flags.js';
import type { CliErrorCode } from '../errors.js';
import { DIRECTORY_HELP, DIRECTORY_OPTIONS, directoryOptionsFromFlags, rulesDirFromFlag, type DirectoryFlags } from '../directory-flags.js';
import { EXIT_OK, EXIT_REJECTED, RejectedInputError, UsageError, type CliIO, type Command } from '../io.js';

const HELP = `Usage: devicegate decide --rp ID [device] [claims] [options]
       devicegate decide --batch F.jsonl [options]

One what-if decision through the same code path as POST /v1/decisions.

Device (at most one):
  --cert F            device certificate file (PEM or DER)
  --thumbprint X      SHA-1 thumbprint (40 hex digits; colons/spaces allowed)
  --device-id G       msDS-DeviceID (GUID)
Claims:
  --claim TYPE=VALUE  an incoming claim (repeatable); its Issuer and OriginalIssuer are LOCAL AUTHORITY
                      unless a --claim-issuer comes before it; device-context and permit/deny claim types
                      are dropped (only the directory and the rules issue them; see README "Security model")
  --claim-issuer I    the Issuer (and OriginalIssuer) of every --claim after it, up to the next
                      --claim-issuer; e.g. --claim-issuer "AD AUTHORITY" --claim T=V ...
  --claims F.json     incoming claims: [{ "type", "value", "valueType"?, "issuer"?, ... }]
  --saml F            a SAML 2.0 token from AD FS (XML or base64): the user's claims are its verified
                      claims (not combinable with --claim/--claims; farm.json must name samlTrustedSigners;
                      without --at, and in --batch, each assertion is accepted once)
Options:
  --rp ID             relying party identifier (any of its identifiers)
  --explain           include the rule trace
  --issued            include the issued claims (issuance transform output)
  --at TIME           what-if: decide as of this RFC 3339 time (e.g. 2026-11-20T12:00:00Z); the answer
                      says so ("simulation": { "at" } in --json, a "simulation:" line otherwise); no SAML
                      one-time-use check
  --batch F.jsonl     one POST /v1/decisions body per line in (a line may carry "simulate": true and
                      "at"); one JSON object per line out, each with "line" (its input line number);
                      a summary by decision and by error code on stderr; with --at, every line is
                      decided as of that time
${DIRECTORY_HELP}
  --json              print the decision exactly as the HTTP API answers it

AD AUTHORITY vs LOCAL AUTHORITY: AD FS gives the claims of the Windows account (windowsaccountname,
primarysid, groupsid, upn ...) the Issuer "AD AUTHORITY"; request, device and MFA claims
(insidecorporatenetwork, authnmethodsreferences, device claims) carry "LOCAL AUTHORITY". The standard
"Send LDAP Attributes as Claims" rule and many custom rules test Issuer == "AD AUTHORITY": give the user's
claims with --claim-issuer "AD AUTHORITY" (or "issuer" in --claims F.json), or those rules do not fire.

Exit codes: 0 a decision was made (permit, deny or mfa_required; --batch: for every line),
1 rejected input (--batch: any line failed), 2 usage error.
`;

const OPTIONS = {
  ...DIRECTORY_OPTIONS,
  ...DEVICE_OPTIONS,
  rp: { type: 'string' },
  claim: { type: 'string', multiple: true },
  'claim-issuer': { type: 'string', multiple: true },
  claims: { type: 'string' },
  saml: { type: 'string' },
  explain: { type: 'boolean' },
  issued: { type: 'boolean' },
  at: { type: 'string' },
  batch: { type: 'string' },
  json: { type: 'boolean' },
} as const;

interface EngineFlags extends DirectoryFlags {
  readonly rules?: string | undefined;
}

/** Opens the directory and the engine from the shared flags; the caller closes the returned engine. */
export async function openEngine(flags: EngineFlags, io: CliIO): Promise<DecisionEngineWithInternals> {
  const directory: DeviceDirectory = await openDirectory(directoryOptionsFromFlags(flags, io));
  const warned = new Set<string>();
  const say = (level: string) => (message: string) => {
    if (warned.has(message)) return;
    warned.add(message);
    io.stderr.write(`devicegate: ${level}: ${message}\n`);
  };
  const logger: Logger = { warn: say('warning'), error: say('error'), info: () => undefined };
  try {
    // Rule warnings (stores devicegate cannot serve) would be noise here: the decision carries its own reason and notes.
    return await createDecisionEngine({ rulesDir: rulesDirFromFlag(flags.rules, io.cwd), directory, cwd: io.cwd, logger, ownsDirectory: true, logRuleWarnings: false });
  } catch (error) {
    await directory.close().catch(() => undefined);
    throw error;
  }
}

/** Prints every rule-file diagnostic (file:line:col) of a failed load and returns exit 1. */
export function reportLoadError(error: unknown, io: CliIO, command: string): number {
  if (!(error instanceof PolicyLoadError)) throw error;
  for (const d of error.diagnostics) io.stderr.write(`${d}\n`);
  io.stderr.write(`devicegate ${command}: rules could not be loaded (${error.diagnostics.length} problem${error.diagnostics.length === 1 ? '' : 's'})\n`);
  return EXIT_REJECTED;
}

const CLAIM_KEYS = new Set(['type', 'value', 'valueType', 'issuer', 'originalIssuer', 'properties']);

/** Validates one claim object from JSON input (the HTTP ClaimInput shape). */
export function claimFromJson(value: unknown, where: string): Claim {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RejectedInputError(`${where}: a claim must be an object with "type" and "value"`);
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!CLAIM_KEYS.has(k)) throw new RejectedInputError(`${where}: unknown claim field "${k}"`);
  if (typeof o['type'] !== 'string' || o['type'] === '') throw new RejectedInputError(`${where}: "type" must be a non-empty string`);
  if (typeof o['value'] !== 'string') throw new RejectedInputError(`${where}: "value" must be a string`);
  for (const k of ['valueType', 'issuer', 'originalIssuer']) {
    if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) throw new RejectedInputError(`${where}: "${k}" must be a non-empty string`);
  }
  const props = o['properties'];
  if (props !== undefined && (props === null || typeof props !== 'object' || Array.isArray(props) || Object.values(props).some((v) => typeof v !== 'string'))) {
    throw new RejectedInputError(`${where}: "properties" must be an object of strings`);
  }
  return makeClaim({
    type: o['type'],
    value: o['value'],
    valueType: o['valueType'] as string | undefined,
    issuer: o['issuer'] as string | undefined,
    originalIssuer: o['originalIssuer'] as string | undefined,
    properties: props as Record<string, string> | undefined,
  });
}

export function claimsFromJson(value: unknown, where: string): Claim[] {
  if (!Array.isArray(value)) throw new RejectedInputError(`${where}: claims must be a JSON array`);
  return value.map((c, i) => claimFromJson(c, `${where}[${i}]`));
}

const BODY_KEYS = new Set(['relyingParty', 'device', 'claims', 'samlToken', 'explain', 'include', 'simulate', 'at']);

/** An RFC 3339 time (--at, "at"), or a RejectedInputError naming where. */
export function atFromText(text: string, where: string): Date {
  const at = parseRfc3339(text);
  if (at === undefined) throw new RejectedInputError(`${where} must be an RFC 3339 date-time such as 2026-11-20T12:00:00Z, got "${text.slice(0, 64)}"`);
  return at;
}

/** One POST /v1/decisions body -> a DecisionRequest (the batch input format). */
export function requestFromBody(body: unknown, where: string): DecisionRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new RejectedInputError(`${where}: must be a JSON object`);
  const o = body as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!BODY_KEYS.has(k)) throw new RejectedInputError(`${where}: unknown field "${k}"`);
  if (typeof o['relyingParty'] !== 'string' || o['relyingParty'] === '') throw new RejectedInputError(`${where}: "relyingParty" must be a non-empty string`);
  if (o['samlToken'] !== undefined && (typeof o['samlToken'] !== 'string' || o['samlToken'] === '')) throw new RejectedInputError(`${where}: "samlToken" must be a non-empty string`);
  if (o['explain'] !== undefined && typeof o['explain'] !== 'boolean') throw new RejectedInputError(`${where}: "explain" must be true or false`);
  if (o['simulate'] !== undefined && typeof o['simulate'] !== 'boolean') throw new RejectedInputError(`${where}: "simulate" must be true or false`);
  let at: Date | undefined;
  if (o['at'] !== undefined || o['simulate'] === true) {
    if (o['simulate'] !== true) throw new RejectedInputError(`${where}: "at" needs "simulate": true (a what-if decision at another time)`);
    at = o['at'] === undefined ? new Date() : typeof o['at'] === 'string' ? atFromText(o['at'], `${where}: "at"`) : atFromText('', `${where}: "at"`);
  }
  const include = o['include'];
  if (include !== undefined && (!Array.isArray(include) || include.some((x) => x !== 'issuedClaims'))) {
    throw new RejectedInputError(`${where}: "include" may only list "issuedClaims"`);
  }
  let device: DevicePresentation | undefined;
  const d = o['device'];
  if (d !== undefined) {
    if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new RejectedInputError(`${where}: "device" must be an object`);
    const keys = Object.keys(d);
    const key = keys[0];
    const value = key !== undefined ? (d as Record<string, unknown>)[key] : undefined;
    if (keys.length !== 1 || (key !== 'certificate' && key !== 'thumbprint' && key !== 'deviceId') || typeof value !== 'string') {
      throw new RejectedInputError(`${where}: "device" must have exactly one of "certificate", "thumbprint", "deviceId" (a string)`);
    }
    device = { [key]: value } as DevicePresentation;
  }
  return {
    relyingParty: o['relyingParty'],
    ...(device !== undefined ? { device } : {}),
    ...(o['claims'] !== undefined ? { claims: claimsFromJson(o['claims'], `${where}: claims`) } : {}),
    ...(typeof o['samlToken'] === 'string' ? { samlToken: o['samlToken'] } : {}),
    ...(o['explain'] === true ? { explain: true } : {}),
    ...(Array.isArray(include) && include.length > 0 ? { includeIssuedClaims: true } : {}),
    ...(at !== undefined ? { at } : {}),
  };
}

async function readText(file: string, io: CliIO, flag: string): Promise<string> {
  try {
    return await readTextFile(resolve(io.cwd, file));
  } catch (error) {
    throw new RejectedInputError(`${flag} ${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function formatDecision(d: Decision): string {
  const lines = [
    ...(d.simulation !== undefined ? [`simulation:      what-if as of ${d.simulation.at} (not an enforcement decision)`] : []),
    `decision:        ${d.decision}`,
    `relying party:   ${d.relyingParty.name} (${d.relyingParty.id})`,
    `device:          ${d.device.status}${d.device.id !== undefined ? ` ${d.device.id}` : ''}${d.device.displayName !== undefined ? ` "${d.device.displayName}"` : ''} (source ${d.device.source}${d.device.proof !== undefined ? `, proof ${d.device.proof}` : ''})`,
    `reason:          ${d.reason.code}: ${d.reason.message}`,
  ];
  if (d.enforcement !== undefined) lines.push(`enforcement:     ${d.enforcement.decision} (${d.enforcement.reason.code}: ${d.enforcement.reason.message})`);
  lines.push(`policy revision: ${d.policyRevision}`);
  if (d.trace !== undefined) {
    lines.push('trace:');
    for (const e of d.trace) {
      lines.push(`  ${e.fired ? '+' : '-'} [${e.stage}] ${e.rule}${e.note !== undefined ? `: ${e.note}` : ''}`);
      for (const c of e.produced ?? []) lines.push(`      ${c.type} = ${c.value}`);
    }
  }
  if (d.issuedClaims !== undefined) {
    lines.push(`issued claims (${d.issuedClaims.length}):`);
    for (const c of d.issuedClaims) lines.push(`  ${c.type} = ${c.value}`);
  }
  return `${lines.join('\n')}\n`;
}

function errorObject(error: unknown): { code: string; message: string; field?: string } {
  const e = error as { code?: unknown; message?: unknown; field?: unknown };
  const code: string = typeof e.code === 'string' && e.code.startsWith('DG_ERR_') ? e.code : ('DG_ERR_CLI_INVALID_INPUT' satisfies CliErrorCode);
  return { code, message: typeof e.message === 'string' ? e.message : String(error), ...(typeof e.field === 'string' ? { field: e.field } : {}) };
}

function isCoded(error: unknown): boolean {
  return error instanceof RejectedInputError || (error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && String((error as unknown as { code: string }).code).startsWith('DG_ERR_'));
}

/** One line's outcome for the summary. */
type Tally = Map<string, number>;

function bump(tally: Tally, key: string): void {
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

function summaryOf(decisions: Tally, errors: Tally, lines: number): string {
  const list = (tally: Tally): string => [...tally].map(([k, n]) => `${k} ${n}`).join(', ');
  const failed = [...errors.values()].reduce((a, b) => a + b, 0);
  return `devicegate decide --batch: ${lines} line${lines === 1 ? '' : 's'}: ${decisions.size > 0 ? list(decisions) : 'no decisions'}; ${failed === 0 ? 'no errors' : `${failed} failed (${list(errors)})`}\n`;
}

async function runBatch(file: string, engine: DecisionEngineWithInternals, io: CliIO, at: Date | undefined): Promise<number> {
  const lines = (await readText(file, io, '--batch')).split(/\r?\n/);
  const total = lines.filter((l) => l.trim() !== '').length;
  const progress = io.stderr.isTTY === true;
  const decisions: Tally = new Map();
  const errors: Tally = new Map();
  let lineNo = 0;
  let done = 0;
  let failed = 0;
  for (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let out: unknown;
    try {
      let body: unknown;
      try {
        body = JSON.parse(line);
      } catch {
        throw new RejectedInputError(`line ${lineNo}: not valid JSON`);
      }
      const request = requestFromBody(body, `line ${lineNo}`);
      const when = request.at ?? at;
      const decision = await engine.decide(when !== undefined ? { ...request, at: when } : request);
      bump(decisions, decision.decision);
      // "line" first: output lines match input lines even when blank lines were skipped.
      out = { line: lineNo, ...(when !== undefined ? simulated(decision, when) : decision) };
    } catch (error) {
      if (!isCoded(error)) throw error;
      failed++;
      const e = errorObject(error);
      bump(errors, e.code);
      out = { line: lineNo, error: e };
    }
    io.stdout.write(`${JSON.stringify(out)}\n`);
    done++;
    if (progress && (done === total || done % 25 === 0)) {
      const width = 30;
      const filled = Math.round((done / Math.max(total, 1)) * width);
      io.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}${failed > 0 ? ` (${failed} errors)` : ''}`);
    }
  }
  if (progress) io.stderr.write('\n');
  io.stderr.write(summaryOf(decisions, errors, done));
  return failed > 0 ? EXIT_REJECTED : EXIT_OK;
}

/**
 * The --claim flags in order, each with the Issuer of the --claim-issuer before it (LOCAL AUTHORITY,
 * AD FS's default issuer, when none). TYPE is everything before the first '=' (claim types hold no '=').
 */
export function claimsFromFlags(argv: readonly string[]): Claim[] {
  const { tokens } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false, tokens: true });
  const claims: Claim[] = [];
  let issuer: string | undefined;
  for (const token of tokens) {
    if (token.kind !== 'option' || token.value === undefined) continue;
    if (token.name === 'claim-issuer') {
      if (token.value.trim() === '') throw new UsageError('--claim-issuer must not be empty');
      issuer = token.value;
    } else if (token.name === 'claim') {
      const eq = token.value.indexOf('=');
      if (eq <= 0) throw new UsageError(`--claim must be TYPE=VALUE, got "${token.value}"`);
      claims.push(makeClaim({ type: token.value.slice(0, eq), value: token.value.slice(eq + 1), ...(issuer !== undefined ? { issuer } : {}) }));
    }
  }
  return claims;
}

export async function runDecide(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  const deviceFlags = [values.cert, values.thumbprint, values['device-id']].filter((v) => v !== undefined);
  if (values.batch !== undefined) {
    for (const flag of ['rp', 'cert', 'thumbprint', 'device-id', 'claim', 'claim-issuer', 'claims', 'saml', 'explain', 'issued'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--batch takes its requests from the file; --${flag} cannot be combined with it`);
    }
  } else {
    if (values.rp === undefined) throw new UsageError('--rp ID is required (or --batch F.jsonl)');
    if (deviceFlags.length > 1) throw new UsageError('give at most one of --cert, --thumbprint, --device-id');
  }

  let at: Date | undefined;
  if (values.at !== undefined) {
    at = parseRfc3339(values.at);
    if (at === undefined) throw new UsageError(`--at must be an RFC 3339 date-time such as 2026-11-20T12:00:00Z, got "${values.at}"`);
  }
  let request: DecisionRequest | undefined;
  if (values.batch === undefined) {
    const device = await devicePresentationFromFlags(values, io.cwd);

    const claims: Claim[] = [];
    if (values.claims !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(await readText(values.claims, io, '--claims'));
      } catch (error) {
        if (error instanceof RejectedInputError) throw error;
        throw new RejectedInputError(`--claims ${values.claims}: not valid JSON`);
      }
      claims.push(...claimsFromJson(json, values.claims));
    }
    claims.push(...claimsFromFlags(argv));
    const samlToken = values.saml !== undefined ? await readText(values.saml, io, '--saml') : undefined;
    request = {
      relyingParty: values.rp!,
      ...(device !== undefined ? { device } : {}),
      ...(claims.length > 0 ? { claims } : {}),
      ...(samlToken !== undefined ? { samlToken } : {}),
      ...(values.explain === true ? { explain: true } : {}),
      ...(values.issued === true ? { includeIssuedClaims: true } : {}),
      ...(at !== undefined ? { at } : {}),
    };
  }

  let engine: DecisionEngineWithInternals;
  try {
    engine = await openEngine(values, io);
  } catch (error) {
    return reportLoadError(error, io, 'decide');
  }
  try {
    if (values.batch !== undefined) return await runBatch(values.batch, engine, io, at);
    const made = await engine.decide(request!);
    const decision = at !== undefined ? simulated(made, at) : made;
    io.stdout.write(values.json === true ? `${JSON.stringify(decision)}\n` : formatDecision(decision));
    return EXIT_OK;
  } finally {
    await engine.close();
  }
}

export const decideCommand: Command = { name: 'decide', summary: 'one what-if decision (or --batch F.jsonl)', help: HELP, run: runDecide };
