import { normalizeDeviceId, normalizeThumbprint } from '../certificate/index.js';
import { REQUEST_CLAIM_TYPES, type Claim } from '../claims/index.js';
import { makeClaim } from '../language/index.js';
import type { DecisionEngine, DevicePresentation } from '../policy/index.js';
import { AdfsStoreError } from './errors.js';
import { argumentName, bindArguments, DEVICE_COLUMNS, parseStoreQueryCached, type DecisionColumn, type ParsedQuery } from './query-grammar.js';

/** The table an attribute store returns: every row has exactly columns.length strings. */
export interface StoreTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

const HEX40 = /^[0-9A-Fa-f]{40}$/;
const SID = /^S-1-[0-9]{1,14}(-[0-9]{1,10}){1,15}$/i;

/** A device ID (GUID) or a certificate thumbprint (40 hex, colons/spaces allowed); "" = no device. */
function devicePresentation(value: string, field: string): DevicePresentation | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  try {
    if (HEX40.test(v.replace(/[: ]/g, ''))) return { thumbprint: normalizeThumbprint(v) };
    return { deviceId: normalizeDeviceId(v) };
  } catch {
    throw new AdfsStoreError('DG_ERR_ADFS_QUERY_VALUE', `${field} must be a device ID (GUID) or a certificate thumbprint (40 hex digits)`, { field });
  }
}

/** A user's primary SID ("S-1-5-21-..."); "" = none. */
function primarySid(value: string, field: string): string | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  if (!SID.test(v)) throw new AdfsStoreError('DG_ERR_ADFS_QUERY_VALUE', `${field} must be a SID such as S-1-5-21-...-1106`, { field });
  return v.toUpperCase();
}

/** Where a bound value came from, for error fields: "params.N" or the literal's place in the query. */
function fieldOf(parsed: ParsedQuery, i: number): string {
  const a = parsed.args[i]!;
  return a.kind === 'placeholder' ? `params.${a.index}` : `query (${argumentName(parsed.verb, i)} at position ${a.position})`;
}

const EMPTY: readonly (readonly string[])[] = Object.freeze([]);

async function deviceTable(engine: DecisionEngine, parsed: ParsedQuery, values: readonly string[]): Promise<StoreTable> {
  const device = devicePresentation(values[0]!, fieldOf(parsed, 0));
  const sid = values.length > 1 ? primarySid(values[1]!, fieldOf(parsed, 1)) : undefined;
  if (device === undefined) return { columns: parsed.columns, rows: EMPTY };
  const described = await engine.describeDevice(device, sid !== undefined ? { primarySid: sid } : {});
  if (described.status === 'directory_unavailable') {
    throw new AdfsStoreError('DG_ERR_ADFS_DIRECTORY_UNAVAILABLE', 'the directory is unavailable, so the device cannot be answered; try again later', { field: fieldOf(parsed, 0) });
  }
  // Only a known device has device claims (as in AD FS): anything else is an empty table.
  if (described.status !== 'known') return { columns: parsed.columns, rows: EMPTY };
  const byType = new Map<string, string>();
  for (const c of described.claims) if (!byType.has(c.type)) byType.set(c.type, c.value);
  return { columns: parsed.columns, rows: [parsed.columns.map((col) => byType.get(DEVICE_COLUMNS.get(col)!) ?? '')] };
}

async function decisionTable(engine: DecisionEngine, parsed: ParsedQuery, values: readonly string[]): Promise<StoreTable> {
  const relyingParty = values[0]!.trim();
  if (relyingParty === '') throw new AdfsStoreError('DG_ERR_ADFS_QUERY_VALUE', `${fieldOf(parsed, 0)} (the relying party identifier) is empty`, { field: fieldOf(parsed, 0) });
  const device = devicePresentation(values[1]!, fieldOf(parsed, 1));
  const sid = primarySid(values[2]!, fieldOf(parsed, 2));
  const claims: Claim[] = sid !== undefined ? [makeClaim({ type: REQUEST_CLAIM_TYPES.primarySid, value: sid })] : [];
  // The same call /v1/decisions makes for { relyingParty, device, claims: [primarysid] }.
  const decision = await engine.decide({ relyingParty, ...(device !== undefined ? { device } : {}), claims });
  const cell: Record<DecisionColumn, string> = {
    decision: decision.decision,
    reason: decision.reason.message,
    reasoncode: decision.reason.code,
    rule: decision.reason.rule ?? '',
    devicestatus: decision.device.status,
  };
  return { columns: parsed.columns, rows: [parsed.columns.map((col) => cell[col as DecisionColumn])] };
}

/**
 * Answers one attribute-store query: parse (before anything is bound), bind, run. Throws
 * AdfsStoreError (400 / 503) or the engine's coded errors (unknown relying party 404 ...).
 */
export async function executeStoreQuery(engine: DecisionEngine, query: string, params: readonly string[]): Promise<StoreTable> {
  const parsed = parseStoreQueryCached(query);
  const values = bindArguments(parsed, params);
  const table = parsed.verb === 'device' ? await deviceTable(engine, parsed, values) : await decisionTable(engine, parsed, values);
  for (const row of table.rows) {
    // Our own invariant; a broken row is a bug, never a partial table.
    if (row.length !== table.columns.length || row.some((v) => typeof v !== 'string')) throw new Error('attribute-store row does not match its columns');
  }
  return table;
}
