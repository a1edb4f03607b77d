/**
 * Predicates pushed into a scan: one column compared with constants. They
 * prune partitions (by key values), chunks (by min/max/null count) and rows
 * (a vectorized filter over typed arrays and dictionary codes).
 *
 * Pushdown may keep rows the WHERE clause rejects (DuckDB re-applies the
 * whole WHERE), but must never drop a row it keeps. So comparisons follow
 * DuckDB's rules exactly: NaN is equal to itself and above every number,
 * strings compare by code point (= UTF-8 byte order), NULL matches nothing
 * but IS NULL.
 */
import type { ChunkRef, ColumnMeta, KeyValue } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import { Op, kernels } from '../kernels/index.js';
import type { OpCode } from '../kernels/kernels.js';
import type { ColumnType } from '../schema/schema.js';

export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type Constant = number | string | boolean;

export type Predicate =
  | { column: string; op: CompareOp; value: Constant }
  | { column: string; op: 'in'; values: Constant[] }
  | { column: string; op: 'between'; low: Constant; high: Constant }
  | { column: string; op: 'isnull' | 'notnull' };

export function describePredicate(p: Predicate): string {
  const v = (c: Constant): string => (typeof c === 'string' ? `'${c}'` : String(c));
  switch (p.op) {
    case 'in': return `${p.column} IN (${p.values.map(v).join(', ')})`;
    case 'between': return `${p.column} BETWEEN ${v(p.low)} AND ${v(p.high)}`;
    case 'isnull': return `${p.column} IS NULL`;
    case 'notnull': return `${p.column} IS NOT NULL`;
    default: return `${p.column} ${{ eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' }[p.op]} ${v(p.value)}`;
  }
}

/** DuckDB's order for doubles: NaN equals NaN and sorts above everything. */
function cmpNumber(a: number, b: number): number {
  const an = a !== a; const bn = b !== b;
  if (an || bn) return an && bn ? 0 : an ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Code point order, which is UTF-8 byte order (JavaScript's < compares UTF-16 units). */
export function cmpString(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i); const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff; const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1; // a surrogate (code point > U+FFFF) sorts after any BMP unit
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function cmp(a: Constant, b: Constant): number {
  if (typeof a === 'number' && typeof b === 'number') return cmpNumber(a, b);
  if (typeof a === 'string' && typeof b === 'string') return cmpString(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return NaN; // never pushed: a mismatch means "cannot tell"
}

/** Whether a comparison result (negative, zero, positive) satisfies op. */
export function testCompare(op: CompareOp, c: number): boolean {
  switch (op) {
    case 'eq': return c === 0;
    case 'ne': return c !== 0;
    case 'lt': return c < 0;
    case 'le': return c <= 0;
    case 'gt': return c > 0;
    case 'ge': return c >= 0;
  }
}

/** Does a non-null value satisfy the predicate? */
export function matchesValue(p: Predicate, v: Constant): boolean {
  switch (p.op) {
    case 'isnull': return false;
    case 'notnull': return true;
    case 'in': return p.values.some((x) => cmp(v, x) === 0);
    case 'between': return cmp(v, p.low) >= 0 && cmp(v, p.high) <= 0;
    default: return testCompare(p.op, cmp(v, p.value));
  }
}

/** Partition pruning: the chunk's partition key value for this column is known exactly. */
export function matchesKey(p: Predicate, key: KeyValue): boolean {
  if (key === null) return p.op === 'isnull';
  return matchesValue(p, key);
}

function statNumber(v: ColumnMeta['min'], type: ColumnType): number | null {
  if (v === null) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && type !== 'string') {
    if (type === 'int64') return null; // decimal strings: compared exactly below
    return Number(v); // 'Infinity' / '-Infinity'
  }
  return null;
}

/**
 * Chunk pruning: can any row of a chunk match, given its column statistics?
 * `true` when unsure. Float statistics ignore NaN, and NaN is above every
 * number, so a float chunk is never pruned on its max.
 */
export function mayMatchChunk(p: Predicate, ref: ChunkRef, type: ColumnType): boolean {
  const meta = ref.columns[p.column];
  const rows = ref.rows;
  if (!meta) return p.op === 'isnull'; // column absent from the chunk: all NULL
  if (p.op === 'isnull') return meta.nulls > 0;
  if (meta.nulls === rows) return false;
  if (p.op === 'notnull') return true;
  if (type === 'bool' || meta.min === null) return true;
  let lo: Constant; let hi: Constant | null;
  if (type === 'int64') {
    // Exact: BigInt on two decimal strings per chunk, not per row.
    const min = BigInt(meta.min as string); const max = meta.max === null ? null : BigInt(meta.max as string);
    const inRange = (c: Constant): [boolean, boolean] => {
      if (typeof c !== 'number' || !Number.isSafeInteger(c)) return [true, true];
      const b = BigInt(c);
      return [b >= min, max === null || b <= max];
    };
    switch (p.op) {
      case 'eq': { const [a, b] = inRange(p.value); return a && b; }
      case 'lt': return typeof p.value !== 'number' || BigInt(Math.ceil(p.value)) > min;
      case 'le': return typeof p.value !== 'number' || BigInt(Math.floor(p.value)) >= min;
      case 'gt': return max === null || typeof p.value !== 'number' || BigInt(Math.floor(p.value)) < max;
      case 'ge': return max === null || typeof p.value !== 'number' || BigInt(Math.ceil(p.value)) <= max;
      case 'in': return p.values.some((v) => { const [a, b] = inRange(v); return a && b; });
      case 'between': return (typeof p.high !== 'number' || BigInt(Math.floor(p.high)) >= min) && (max === null || typeof p.low !== 'number' || BigInt(Math.ceil(p.low)) <= max);
      default: return true;
    }
  }
  if (type === 'string') { lo = meta.min as string; hi = meta.max as string | null; }
  else {
    const a = statNumber(meta.min, type); const b = statNumber(meta.max, type);
    if (a === null) return true;
    lo = a;
    hi = type === 'float64' ? null : b;
  }
  const belowMax = (c: Constant, strict: boolean): boolean => hi === null || (strict ? cmp(c, hi) < 0 : cmp(c, hi) <= 0);
  const aboveMin = (c: Constant, strict: boolean): boolean => (strict ? cmp(c, lo) > 0 : cmp(c, lo) >= 0);
  switch (p.op) {
    case 'eq': return aboveMin(p.value, false) && belowMax(p.value, false);
    case 'ne': return true;
    case 'lt': return aboveMin(p.value, true);
    case 'le': return aboveMin(p.value, false);
    case 'gt': return belowMax(p.value, true);
    case 'ge': return belowMax(p.value, false);
    case 'in': return p.values.some((v) => aboveMin(v, false) && belowMax(v, false));
    case 'between': return aboveMin(p.high, false) && belowMax(p.low, false);
  }
}

/**
 * Does every row of a chunk satisfy the predicate, by its statistics alone?
 * `false` when unsure. Doubles are never certain (statistics ignore NaN,
 * which fails < and <=), nor are strings whose maximum was dropped.
 */
export function coversChunk(p: Predicate, ref: ChunkRef, type: ColumnType): boolean {
  const meta = ref.columns[p.column];
  const rows = ref.rows;
  if (!meta) return p.op === 'isnull';
  if (p.op === 'isnull') return meta.nulls === rows;
  if (meta.nulls > 0) return false;
  if (p.op === 'notnull') return true;
  if (type === 'float64' || meta.min === null || meta.max === null) return false;
  let lo: Constant; let hi: Constant;
  if (type === 'int64') {
    // Exact: compare as BigInt against integer constants only.
    const min = BigInt(meta.min as string); const max = BigInt(meta.max as string);
    const big = (c: Constant): bigint | null => (typeof c === 'number' && Number.isSafeInteger(c) ? BigInt(c) : null);
    const within = (c: Constant, f: (b: bigint) => boolean): boolean => { const b = big(c); return b !== null && f(b); };
    switch (p.op) {
      case 'eq': return min === max && within(p.value, (b) => b === min);
      case 'ne': return within(p.value, (b) => b < min || b > max);
      case 'lt': return within(p.value, (b) => max < b);
      case 'le': return within(p.value, (b) => max <= b);
      case 'gt': return within(p.value, (b) => min > b);
      case 'ge': return within(p.value, (b) => min >= b);
      case 'between': return within(p.low, (b) => min >= b) && within(p.high, (b) => max <= b);
      case 'in': return min === max && p.values.some((v) => within(v, (b) => b === min));
    }
  }
  if (type === 'string' || type === 'bool') { lo = meta.min as string | boolean; hi = meta.max as string | boolean; }
  else {
    if (typeof meta.min !== 'number' || typeof meta.max !== 'number') return false;
    lo = meta.min; hi = meta.max;
  }
  switch (p.op) {
    case 'eq': return cmp(lo, hi) === 0 && cmp(lo, p.value) === 0;
    case 'ne': return cmp(p.value, lo) < 0 || cmp(p.value, hi) > 0;
    case 'lt': return cmp(hi, p.value) < 0;
    case 'le': return cmp(hi, p.value) <= 0;
    case 'gt': return cmp(lo, p.value) > 0;
    case 'ge': return cmp(lo, p.value) >= 0;
    case 'between': return cmp(lo, p.low) >= 0 && cmp(hi, p.high) <= 0;
    case 'in': return cmp(lo, hi) === 0 && p.values.some((v) => cmp(lo, v) === 0);
  }
}

/** An int64 column's predicate on integer bounds: fractional constants round to the integers they admit. */
function int64Bounds(p: Predicate): { op: OpCode; a: bigint; b: bigint } | 'none' | 'all' | null {
  const int = (x: Constant, dir: 'floor' | 'ceil'): bigint | null => {
    if (typeof x !== 'number' || !Number.isFinite(x)) return null;
    const r = dir === 'floor' ? Math.floor(x) : Math.ceil(x);
    return Number.isSafeInteger(r) ? BigInt(r) : null;
  };
  switch (p.op) {
    case 'eq': case 'ne': {
      if (typeof p.value !== 'number') return null;
      if (!Number.isInteger(p.value)) return p.op === 'eq' ? 'none' : 'all';
      const a = int(p.value, 'floor');
      return a === null ? null : { op: Op[p.op], a, b: a };
    }
    case 'lt': case 'le': {
      // x < 2.5 and x <= 2.5 both mean x <= 2; x < 3 stays x < 3.
      const a = int(p.value, 'floor');
      if (a === null) return null;
      return { op: p.op === 'lt' && Number.isInteger(p.value) ? Op.lt : Op.le, a, b: a };
    }
    case 'gt': case 'ge': {
      const a = int(p.value, 'ceil');
      if (a === null) return null;
      return { op: p.op === 'gt' && Number.isInteger(p.value) ? Op.gt : Op.ge, a, b: a };
    }
    case 'between': {
      const a = int(p.low, 'ceil'); const b = int(p.high, 'floor');
      return a === null || b === null ? null : { op: Op.between, a, b };
    }
    default: return null;
  }
}

/** Is this a comparison of numbers a numeric kernel can take (no NaN constants)? */
function numericKernelOp(p: Predicate): { op: OpCode; a: number; b: number } | null {
  if (p.op === 'between') return typeof p.low === 'number' && typeof p.high === 'number' && p.low === p.low && p.high === p.high ? { op: Op.between, a: p.low, b: p.high } : null;
  if (!('value' in p)) return null;
  return typeof p.value === 'number' && p.value === p.value ? { op: Op[p.op], a: p.value, b: p.value } : null;
}

/**
 * Row filter: clears mask[i] for rows that cannot match, through the
 * kernels (native or TypeScript). A dictionary column is tested once per
 * distinct value, then by code; int64 is compared exactly.
 */
export function filterRows(p: Predicate, col: ColumnValues, mask: Uint8Array): void {
  const k = kernels();
  const n = col.length;
  const valid = col.valid;
  if (p.op === 'isnull' || p.op === 'notnull') {
    const want = p.op === 'notnull' ? 1 : 0;
    if (valid !== null) k.filterValid(valid, n, want, mask);
    else if (want === 0) mask.fill(0, 0, n);
    return;
  }
  if (valid !== null) k.filterValid(valid, n, 1, mask);
  switch (col.type) {
    case 'string': {
      const ok = new Uint8Array(col.dict.length);
      for (let c = 0; c < col.dict.length; c++) ok[c] = matchesValue(p, col.dict[c]!) ? 1 : 0;
      k.filterCodes(col.codes, n, ok, mask);
      return;
    }
    case 'bool': {
      k.filterCodes(col.values, n, Uint8Array.of(matchesValue(p, false) ? 1 : 0, matchesValue(p, true) ? 1 : 0), mask);
      return;
    }
    case 'int64': {
      const bounds = p.op === 'in' ? null : int64Bounds(p);
      if (bounds === 'none') { mask.fill(0, 0, n); return; }
      if (bounds === 'all') return;
      if (bounds) { k.filterI64(col.values, n, bounds.op, bounds.a, bounds.b, mask); return; }
      if (p.op === 'in') { filterIn(p, n, mask, (m, x) => { const b = int64Bounds({ column: p.column, op: 'eq', value: x }); if (b === 'none') m.fill(0, 0, n); else if (b && b !== 'all') k.filterI64(col.values, n, b.op, b.a, b.b, m); else return false; return true; }); return; }
      const words = new Int32Array(col.values.buffer, col.values.byteOffset, n * 2);
      for (let i = 0; i < n; i++) if (mask[i] && !matchesValue(p, words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0))) mask[i] = 0;
      return;
    }
    default: {
      const v = col.values;
      const numeric = numericKernelOp(p);
      const run = (m: Uint8Array, op: OpCode, a: number, b: number): void => {
        if (col.type === 'int32') k.filterI32(col.values, n, op, a, b, m); else k.filterF64(col.values as Float64Array, n, op, a, b, m);
      };
      if (numeric) { run(mask, numeric.op, numeric.a, numeric.b); return; }
      if (p.op === 'in' && filterIn(p, n, mask, (m, x) => { if (typeof x !== 'number' || x !== x) return false; run(m, Op.eq, x, x); return true; })) return;
      for (let i = 0; i < n; i++) if (mask[i] && !matchesValue(p, v[i]!)) mask[i] = 0;
    }
  }
}

/** IN over a few constants: one equality kernel run per constant, OR-ed; false when a constant cannot go through a kernel. */
function filterIn(p: Predicate & { op: 'in' }, n: number, mask: Uint8Array, eq: (m: Uint8Array, x: Constant) => boolean): boolean {
  if (p.values.length > 16) return false;
  const any = new Uint8Array(n);
  const one = new Uint8Array(n);
  for (const x of p.values) {
    one.fill(1);
    if (!eq(one, x)) return false;
    for (let i = 0; i < n; i++) any[i]! |= one[i]!;
  }
  for (let i = 0; i < n; i++) mask[i]! &= any[i]!;
  return true;
}
