/**
 * Values the engine computed, compared and written as DuckDB compares and
 * writes them in its JSON answers (see result-json.ts): safe integers as
 * numbers, wider ones as strings, NaN above every number, timestamps as
 * DuckDB prints them. What cannot be written exactly throws Unrepresentable,
 * and the query goes to DuckDB instead.
 */
import type { AggValue } from '../engine/aggregate.js';
import { cmpString } from '../engine/predicate.js';
import type { JsonValue } from './result-types.js';

export class Unrepresentable extends Error {}

export type Cell = AggValue | string | boolean;

export const safeMax = BigInt(Number.MAX_SAFE_INTEGER);

const dayMs = 86_400_000;
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
/** The last day printed: rows of one answer mostly share their day, and Date is the slow part. */
let lastDay = NaN;
let lastDate: string | null = null;

function formatTimestamp(ms: number): string | null {
  const day = Math.floor(ms / dayMs);
  if (day !== lastDay) {
    const d = new Date(day * dayMs);
    const y = d.getUTCFullYear();
    lastDate = Number.isNaN(y) || y < 1 || y > 9999 ? null : `${pad(y, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} `;
    lastDay = day;
  }
  if (lastDate === null) return null;
  const t = ms - day * dayMs;
  const milli = t % 1000;
  const frac = milli ? `.${pad(milli, 3).replace(/0+$/, '')}` : '';
  return `${lastDate}${pad(Math.floor(t / 3_600_000))}:${pad(Math.floor(t / 60_000) % 60)}:${pad(Math.floor(t / 1000) % 60)}${frac}`;
}

/** Printed timestamps of one answer: time keys repeat (one hour for every host), so each is printed once. */
export type PrintCache = Map<number, string | null>;
export const newPrintCache = (): PrintCache => new Map();

export function formatCell(v: Cell, type: string, printed: PrintCache): JsonValue {
  if (v === null) return null;
  if (typeof v === 'bigint') {
    if (type === 'BIGINT' || type === 'HUGEINT') return v >= -safeMax && v <= safeMax ? Number(v) : String(v);
    throw new Unrepresentable(`${String(v)} as ${type}`);
  }
  switch (type) {
    case 'VARCHAR': if (typeof v === 'string') return v; break;
    case 'BOOLEAN': if (typeof v === 'boolean') return v; break;
    case 'INTEGER': case 'BIGINT': case 'HUGEINT':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v; break;
    case 'DOUBLE':
      if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v; break;
    case 'TIMESTAMP':
      if (typeof v === 'number') {
        let s = printed.get(v);
        if (s === undefined) { s = formatTimestamp(v); printed.set(v, s); }
        if (s !== null) return s;
      }
      break;
  }
  throw new Unrepresentable(`${String(v)} as ${type}`);
}

/** DuckDB's order of two non-NULL values of one column. */
export function compareCells(a: Cell, b: Cell): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = typeof a === 'bigint' ? a : BigInt(a as number); const y = typeof b === 'bigint' ? b : BigInt(b as number);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    const an = a !== a; const bn = b !== b;
    if (an || bn) return an && bn ? 0 : an ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return cmpString(a, b);
  return Number(a) - Number(b);
}

/** ORDER BY's comparison of two values of one key: NULLs first or last as asked, then DESC or not. */
export function compareOrdered(a: Cell, b: Cell, desc: boolean, nullsFirst: boolean): number {
  if (a === null || b === null) return a === b ? 0 : (a === null) === nullsFirst ? -1 : 1;
  const c = compareCells(a, b);
  return desc ? -c : c;
}
