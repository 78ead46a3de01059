import type { Decision } from './decision-types.js';

// RFC 3339 section 5.6 date-time: full-date "T" full-time, with a Z or a numeric offset (no other ISO 8601 forms).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** The pattern (for schemas and help texts). */
export const RFC3339_PATTERN = RFC3339.source;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** An RFC 3339 date-time as a Date, or undefined (ISO week dates, missing offsets, 2026-02-30 ... are refused). */
export function parseRfc3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 60) return undefined;
  if (m[10] !== undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) return undefined;
  // A leap second (:60) is the last instant of its minute.
  const fraction = m[7] !== undefined ? Number(m[7]) : 0;
  const utc = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59)) + (second === 60 ? 999 : Math.floor(fraction * 1000));
  const offsetMinutes = m[9] === undefined ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  const date = new Date(utc - offsetMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * A what-if decision made at another time, marked as such in its body (first key), so it can never be
 * taken for an enforcement decision.
 */
export function simulated(decision: Decision, at: Date): Decision {
  return { simulation: { at: at.toISOString() }, ...decision };
}
