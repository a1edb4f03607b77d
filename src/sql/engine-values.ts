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

function formatTimestamp(ms: number): string | null {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (y < 1 || y > 9999) return null;
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const frac = d.getUTCMilliseconds() ? `.${p(d.getUTCMilliseconds(), 3).replace(/0+$/, '')}` : '';
  return `${p(y, 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${frac}`;
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
