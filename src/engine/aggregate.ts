/**
 * Grouped aggregation over scanned chunks, in the engine: count, sum, min,
 * max and avg, grouped by columns and by time buckets of a timestamp column.
 *
 * Per chunk, each key becomes small local ids (dictionary codes for strings,
 * runs for sorted time buckets), the ids combine into a chunk-local group,
 * and each local group is matched to a global group once. The row loop then
 * only indexes typed arrays. Semantics follow DuckDB: NULLs are skipped by
 * aggregates (count(*) counts rows), NaN is above every number (max is NaN
 * if any value is), and a sum or avg over no values is NULL.
 */
import type { ColumnValues } from '../chunk/column.js';
import { isValid } from '../chunk/column.js';
import type { ColumnType } from '../schema/schema.js';
import { Agg, aggI64RowsMax, kernels } from '../kernels/index.js';
import type { ScanChunk } from './scan.js';
import type { Predicate } from './predicate.js';
import { filterRows } from './predicate.js';
import { Accumulators, compareDecider } from './accumulators.js';
import type { AccumulatorState } from './accumulators.js';

export type TruncUnit = 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';

export type KeySpec =
  | { kind: 'column'; column: string; type: ColumnType }
  | { kind: 'trunc'; column: string; unit: TruncUnit }
  | { kind: 'bucket'; column: string; widthMs: number; originMs: number }
  /** `column // divisor`, times `divisor` when `multiply` (integer division truncates toward zero, as DuckDB's). */
  | { kind: 'intdiv'; column: string; divisor: number; multiply: boolean };

export type AggFn = 'count_star' | 'count' | 'count_distinct' | 'sum' | 'avg' | 'min' | 'max' | 'arg_min' | 'arg_max';
/** `filter`: the aggregate's FILTER (WHERE ...), as predicates that are all exact (every conjunct understood). */
export interface AggSpec {
  fn: AggFn;
  column: string | null;
  type: ColumnType | null;
  filter?: Predicate[];
  /** arg_min/arg_max: the column whose least/greatest value picks the row (a number, int64 or timestamp). */
  by?: string;
}

/** A key value: string, number (int32, or ms for time keys), boolean, or null. */
export type KeyValue = string | number | boolean | null;

/** An aggregate's value: a number, a bigint (exact int64 sums, min and max), a string or boolean (arg_min/arg_max of one), or null for no values. */
export type AggValue = number | bigint | string | boolean | null;

export interface GroupResult {
  keys: KeyValue[][];
  /** Per aggregate, per group. */
  values: AggValue[][];
}

const dayMs = 86_400_000;

/** Units of fixed width; months, quarters and years have none. */
export const fixedUnitMs: Partial<Record<TruncUnit, number>> = { second: 1000, minute: 60_000, hour: 3_600_000, day: dayMs, week: 7 * dayMs };

/**
 * The grid a time key cuts time into, when its buckets have one width:
 * bucket(v) = origin + floor((v - origin) / width) * width. ISO weeks start
 * on Monday; 1970-01-01 was a Thursday, so weeks count from 1969-12-29.
 */
export function bucketGrid(k: KeySpec): { width: number; origin: number } | null {
  if (k.kind === 'bucket') return { width: k.widthMs, origin: k.originMs };
  const width = k.kind === 'trunc' ? fixedUnitMs[k.unit] : undefined;
  return width === undefined ? null : { width, origin: (k as { unit: TruncUnit }).unit === 'week' ? -3 * dayMs : 0 };
}

export function truncate(ms: number, unit: TruncUnit): number {
  switch (unit) {
    case 'second': return Math.floor(ms / 1000) * 1000;
    case 'minute': return Math.floor(ms / 60_000) * 60_000;
    case 'hour': return Math.floor(ms / 3_600_000) * 3_600_000;
    case 'day': return Math.floor(ms / dayMs) * dayMs;
    case 'week': { const days = Math.floor(ms / dayMs); return (Math.floor((days + 3) / 7) * 7 - 3) * dayMs; } // ISO weeks start on Monday; 1970-01-01 was a Thursday
    default: {
      const d = new Date(ms);
      const y = d.getUTCFullYear();
      const m = unit === 'year' ? 0 : unit === 'quarter' ? Math.floor(d.getUTCMonth() / 3) * 3 : d.getUTCMonth();
      const t = new Date(0);
      t.setUTCFullYear(y, m, 1);
      return t.getTime();
    }
  }
}

/** The start of the bucket after the one starting at `b`. */
function nextBoundary(b: number, unit: TruncUnit): number {
  const width = fixedUnitMs[unit];
  if (width !== undefined) return b + width;
  const d = new Date(b);
  d.setUTCMonth(d.getUTCMonth() + (unit === 'month' ? 1 : unit === 'quarter' ? 3 : 12));
  return d.getTime();
}

/** Time buckets of the selected rows (values of NULL rows are meaningless; the caller skips them). */
function bucketsOf(spec: KeySpec & { kind: 'trunc' | 'bucket' }, values: Float64Array, sel: Uint32Array | null, n: number): Float64Array {
  const out = new Float64Array(n);
  const grid = bucketGrid(spec);
  if (grid) {
    kernels().bucketF64(values, sel, n, grid.width, grid.origin, out);
    return out;
  }
  // Months, quarters and years have no fixed width: truncate once per run of rows in the same bucket.
  const unit = (spec as { unit: TruncUnit }).unit;
  let lo = Infinity; let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[sel ? sel[i]! : i]!;
    if (!(v >= lo && v < hi)) { lo = truncate(v, unit); hi = nextBoundary(lo, unit); }
    out[i] = lo;
  }
  return out;
}

/** Per-row local key ids of one chunk for one key (NULL gets its own id). */
function localIds(spec: KeySpec, col: ColumnValues, sel: Uint32Array | null, n: number, values: KeyValue[], inexact: { found: boolean }): Int32Array {
  const ids = new Int32Array(n);
  const valid = col.valid;
  if (spec.kind === 'column' && col.type === 'string') {
    // A partition key column holds one value per chunk: nothing to look up.
    if (valid === null && col.dict.length === 1) { values.push(col.dict[0]!); return ids; }
    if (valid === null) {
      // The dictionary codes are the local ids (groups are made only for codes rows hold).
      for (const v of col.dict) values.push(v);
      if (!sel) return col.codes.length === n ? col.codes : col.codes.subarray(0, n);
      const codes = col.codes;
      for (let i = 0; i < n; i++) ids[i] = codes[sel[i]!]!;
      return ids;
    }
    const map = new Int32Array(col.dict.length + 1).fill(-1);
    const codes = col.codes; const nullCode = col.dict.length;
    for (let i = 0; i < n; i++) {
      const r = sel ? sel[i]! : i;
      const code = valid === null || ((valid[r >>> 3]! >>> (r & 7)) & 1) === 1 ? codes[r]! : nullCode;
      let id = map[code]!;
      if (id < 0) { id = values.length; map[code] = id; values.push(code === nullCode ? null : col.dict[code]!); }
      ids[i] = id;
    }
    return ids;
  }
  let nullId = -1;
  const isNull = (r: number): boolean => valid !== null && ((valid[r >>> 3]! >>> (r & 7)) & 1) === 0;
  const nullIdOf = (): number => { if (nullId < 0) { nullId = values.length; values.push(null); } return nullId; };
  if ((spec.kind === 'trunc' || spec.kind === 'bucket') && col.type === 'timestamp') {
    const buckets = bucketsOf(spec, col.values, sel, n);
    const seen = new Map<number, number>();
    let last = NaN; let lastId = -1;
    for (let i = 0; i < n; i++) {
      if (valid !== null && isNull(sel ? sel[i]! : i)) { ids[i] = nullIdOf(); continue; }
      const b = buckets[i]!;
      if (b === last) { ids[i] = lastId; continue; }
      let id = seen.get(b);
      if (id === undefined) { id = values.length; seen.set(b, id); values.push(b); }
      last = b; lastId = id;
      ids[i] = id;
    }
    return ids;
  }
  if (spec.kind === 'intdiv') return intDivIds(spec, col, sel, n, values, inexact, isNull, nullIdOf);
  const seen = new Map<number, number>();
  let words: Int32Array | undefined;
  let lastRaw = NaN; let lastId = -1;
  for (let i = 0; i < n; i++) {
    const r = sel ? sel[i]! : i;
    if (isNull(r)) { ids[i] = nullIdOf(); continue; }
    let v: number;
    if (col.type === 'int64') {
      words ??= new Int32Array(col.values.buffer, col.values.byteOffset, col.length * 2);
      v = words[2 * r + 1]! * 4294967296 + (words[2 * r]! >>> 0);
      // Beyond 2^53 two keys could fall on one double: DuckDB answers instead.
      if (!Number.isSafeInteger(v)) { inexact.found = true; return ids; }
    } else if (col.type === 'string') throw new Error('unsupported key type');
    else v = col.values[r]!;
    if (v === lastRaw) { ids[i] = lastId; continue; }
    let id = seen.get(v);
    if (id === undefined) { id = values.length; seen.set(v, id); values.push(col.type === 'bool' ? v === 1 : v); }
    lastRaw = v; lastId = id;
    ids[i] = id;
  }
  return ids;
}

/**
 * Local ids for `col // d [* d]`: the quotients first, then, when they span
 * at most 65,536 values (bands of a measure), a dense table instead of a
 * hash lookup per row.
 */
function intDivIds(spec: KeySpec & { kind: 'intdiv' }, col: ColumnValues, sel: Uint32Array | null, n: number, values: KeyValue[], inexact: { found: boolean }, isNull: (r: number) => boolean, nullIdOf: () => number): Int32Array {
  const ids = new Int32Array(n);
  const qs = new Float64Array(n);
  const words = col.type === 'int64' ? new Int32Array(col.values.buffer, col.values.byteOffset, col.length * 2) : null;
  const ints = col.type === 'int32' ? col.values : null;
  let lo = Infinity; let hi = -Infinity;
  const d = spec.divisor;
  for (let i = 0; i < n; i++) {
    const r = sel ? sel[i]! : i;
    if (isNull(r)) { qs[i] = NaN; continue; }
    let q: number;
    // A value within int32 divides exactly as a double, truncated by `| 0`.
    const low = words ? words[2 * r]! : ints![r]!;
    if (!words || words[2 * r + 1]! === low >> 31) q = (low / d) | 0;
    else {
      const v = words[2 * r + 1]! * 4294967296 + (low >>> 0);
      // Past 2^52 the quotient times the divisor may not be exact in a double: DuckDB answers instead.
      if (Math.abs(v) > 2 ** 52) { inexact.found = true; return ids; }
      q = intDiv(v, d, false);
    }
    qs[i] = q;
    if (q < lo) lo = q;
    if (q > hi) hi = q;
  }
  const keyOf = (q: number): number => (spec.multiply ? q * spec.divisor : q);
  if (hi - lo <= 65_536) {
    const table = new Int32Array(hi - lo + 1).fill(-1);
    for (let i = 0; i < n; i++) {
      const q = qs[i]!;
      if (q !== q) { ids[i] = nullIdOf(); continue; }
      let id = table[q - lo]!;
      if (id < 0) { id = values.length; table[q - lo] = id; values.push(keyOf(q)); }
      ids[i] = id;
    }
    return ids;
  }
  const seen = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const q = qs[i]!;
    if (q !== q) { ids[i] = nullIdOf(); continue; }
    let id = seen.get(q);
    if (id === undefined) { id = values.length; seen.set(q, id); values.push(keyOf(q)); }
    ids[i] = id;
  }
  return ids;
}

/** DuckDB's `v // d` (toward zero), times d when asked; exact for |v| <= 2^52 (the quotient is corrected after the division rounds). */
export function intDiv(v: number, d: number, multiply: boolean): number {
  let q = Math.trunc(v / d) + 0; // never -0
  const r = v - q * d;
  if (v >= 0) { if (r < 0) q--; else if (r >= d) q++; } else if (r > 0) q++; else if (-r >= d) q--;
  return multiply ? q * d : q;
}

/**
 * The common shape of a time-series chunk: one fixed-width time key whose
 * sorted rows form runs of equal buckets, and every other key constant in
 * the chunk (a partition key). Groups are then found once per run, and the
 * rows' group ids written by the kernels, with no per-row work in
 * JavaScript. Null when the chunk is not of that shape.
 */
function byRuns(chunk: ScanChunk, keys: readonly KeySpec[], groupOf: (key: KeyValue[]) => number, memo: RunMemo): Int32Array | null {
  const n = chunk.rows;
  const timeAt = keys.findIndex((k) => k.kind !== 'column');
  if (timeAt < 0 || n < 64) return null;
  const spec = keys[timeAt]!;
  const grid = bucketGrid(spec);
  const time = chunk.columns.get(spec.column)!;
  if (!grid || time.type !== 'timestamp') return null;
  const constants: KeyValue[] = [];
  for (const [i, k] of keys.entries()) {
    if (i === timeAt) { constants.push(null); continue; }
    const v = constantKey(chunk, k);
    if (v === null) return null;
    constants.push(v);
  }
  // Worth it only when runs are long: give up beyond one run per 8 rows.
  const max = Math.ceil(n / 8);
  if (memo.starts.length < max) { memo.starts = new Int32Array(max * 2); memo.values = new Float64Array(max * 2); }
  const { starts, values } = memo;
  const k = kernels();
  const runs = k.bucketRuns(time.values, time.valid, chunk.selection, n, grid.width, grid.origin, starts.subarray(0, max), values.subarray(0, max));
  if (runs < 0) return null;
  // The constant keys name a map of bucket -> group: one string per chunk, not one per run.
  const prefix = JSON.stringify(constants);
  let byBucket = memo.groups.get(prefix);
  if (!byBucket) { byBucket = new Map(); memo.groups.set(prefix, byBucket); }
  const groups = new Int32Array(runs);
  for (let r = 0; r < runs; r++) {
    const b = values[r]!; // NaN: the NULL bucket (a Map finds NaN keys)
    let g = byBucket.get(b);
    if (g === undefined) {
      const keyVals = constants.slice();
      keyVals[timeAt] = b !== b ? null : b;
      g = groupOf(keyVals);
      byBucket.set(b, g);
    }
    groups[r] = g;
  }
  const global = new Int32Array(n);
  k.fillRuns(starts, groups, runs, n, global);
  return global;
}

/** What byRuns keeps between chunks: run buffers, and per set of constant keys the group of each bucket. */
interface RunMemo { starts: Int32Array; values: Float64Array; groups: Map<string, Map<number, number>> }

/**
 * arg_min/arg_max as DuckDB computes them: rows where the value or the
 * deciding column is NULL are skipped, NaN is above every number, and of
 * tied rows the first seen is kept.
 */
function addArg(s: Accumulators, col: ColumnValues, by: ColumnValues, sel: Uint32Array | null, groups: Int32Array, n: number, greatest: boolean): void {
  const { argBy, argValue } = s;
  const byValues = (by as { values: Float64Array | Int32Array | BigInt64Array }).values;
  for (let i = 0; i < n; i++) {
    const r = sel ? sel[i]! : i;
    if (!isValid(by.valid, r) || !isValid(col.valid, r)) continue;
    const v = byValues[r]!;
    const g = groups[i]!;
    const best = argBy[g];
    if (best !== undefined && compareDecider(v, best) * (greatest ? 1 : -1) <= 0) continue;
    argBy[g] = v;
    argValue[g] = col.type === 'string' ? col.dict[col.codes[r]!]! : col.type === 'bool' ? col.values[r] !== 0 : col.values[r]!;
  }
}

/**
 * count(DISTINCT): the non-NULL values of rows sel[i] (or i) into their
 * groups' sets. A string column adds dictionary entries, not rows: when the
 * chunk is one group, each entry used once (a chunk's dictionary holds only
 * values its rows have).
 */
function addDistinct(s: Accumulators, col: ColumnValues, sel: Uint32Array | null, groups: Int32Array, n: number, groupCount: number): void {
  while (s.distinct.length < groupCount) s.distinct.push(new Set());
  const valid = col.valid;
  const isValidRow = (r: number): boolean => valid === null || ((valid[r >>> 3]! >>> (r & 7)) & 1) === 1;
  if (col.type === 'string') {
    const idOf = col.dict.map((v) => { let id = s.ids.get(v); if (id === undefined) { id = s.ids.size; s.ids.set(v, id); } return id; });
    let oneGroup = n > 0;
    for (let i = 1; i < n && oneGroup; i++) if (groups[i] !== groups[0]) oneGroup = false;
    if (oneGroup) {
      const set = s.distinct[groups[0]!]!;
      if (sel === null && valid === null && n === col.length) { for (const id of idOf) set.add(id); return; }
      const used = new Uint8Array(col.dict.length);
      for (let i = 0; i < n; i++) { const r = sel ? sel[i]! : i; if (isValidRow(r)) used[col.codes[r]!] = 1; }
      for (let c = 0; c < used.length; c++) if (used[c]) set.add(idOf[c]!);
      return;
    }
    for (let i = 0; i < n; i++) { const r = sel ? sel[i]! : i; if (isValidRow(r)) s.distinct[groups[i]!]!.add(idOf[col.codes[r]!]!); }
    return;
  }
  if (col.type === 'int64') {
    const words = new Int32Array(col.values.buffer, col.values.byteOffset, col.length * 2);
    for (let i = 0; i < n; i++) {
      const r = sel ? sel[i]! : i;
      if (!isValidRow(r)) continue;
      const v = words[2 * r + 1]! * 4294967296 + (words[2 * r]! >>> 0);
      // Exact as a number within 2^53; beyond, the value itself (never equal to a number in a Set).
      s.distinct[groups[i]!]!.add(Number.isSafeInteger(v) ? v : col.values[r]!);
    }
    return;
  }
  if (col.type === 'float64') throw new Error('count(DISTINCT) of doubles is DuckDB\'s');
  const values = col.values;
  for (let i = 0; i < n; i++) { const r = sel ? sel[i]! : i; if (isValidRow(r)) s.distinct[groups[i]!]!.add(values[r]!); }
}

let zeros = new Int32Array(0);

/** Group g for n rows: for group 0 (no GROUP BY) a view of one shared array of zeros, only ever read. */
function groupFill(g: number, n: number): Int32Array {
  if (g !== 0) return new Int32Array(n).fill(g);
  if (zeros.length < n) zeros = new Int32Array(Math.max(n, zeros.length * 2));
  return zeros.subarray(0, n);
}

/** The group of a chunk whose every key is a column holding one string (its dictionary's only entry, no NULLs), or -1. */
function constantGroup(chunk: ScanChunk, keys: readonly KeySpec[], groupOf: (key: KeyValue[]) => number): number {
  const key: KeyValue[] = [];
  for (const spec of keys) {
    const v = constantKey(chunk, spec);
    if (v === null) return -1;
    key.push(v);
  }
  return groupOf(key);
}

/** The one value of a key column holding one string in this chunk (its dictionary's only entry, no NULLs), or null. */
function constantKey(chunk: ScanChunk, spec: KeySpec): string | null {
  const col = chunk.columns.get(spec.column);
  return spec.kind === 'column' && col?.type === 'string' && col.valid === null && col.dict.length === 1 ? col.dict[0]! : null;
}

/** The chunk's rows (and their groups) that pass an aggregate's FILTER. */
function filteredRows(chunk: ScanChunk, filter: readonly Predicate[], groups: Int32Array): { sel: Uint32Array; groups: Int32Array } {
  const anyColumn = chunk.columns.get(filter[0]!.column)!;
  const mask = new Uint8Array(anyColumn.length).fill(1);
  for (const p of filter) filterRows(p, chunk.columns.get(p.column)!, mask);
  const n = chunk.rows; const sel = chunk.selection;
  const rows = new Uint32Array(n); const g = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const r = sel ? sel[i]! : i;
    if (mask[r]) { rows[m] = r; g[m] = groups[i]!; m++; }
  }
  return { sel: rows.subarray(0, m), groups: g.subarray(0, m) };
}

/** Each row's chunk-local composite key: ids of key 0 in the most significant place. */
function combineKeys(ids: Int32Array[], radices: number[], n: number): Int32Array {
  if (ids.length === 1) return ids[0]!.slice(0, n);
  const out = new Int32Array(n);
  const a = ids[0]!;
  if (ids.length === 2) {
    const b = ids[1]!; const r = radices[1]!;
    for (let i = 0; i < n; i++) out[i] = a[i]! * r + b[i]!;
    return out;
  }
  out.set(a.subarray(0, n));
  for (let k = 1; k < ids.length; k++) {
    const b = ids[k]!; const r = radices[k]!;
    for (let i = 0; i < n; i++) out[i] = out[i]! * r + b[i]!;
  }
  return out;
}

/** A GroupAggregator's state as plain data: what a worker sends back to be merged. */
export interface PartialGroups {
  keys: KeyValue[][];
  rows: Float64Array;
  accs: AccumulatorState[];
  /** A key could not be told apart exactly (int64 beyond 2^53): DuckDB must answer. */
  inexact: boolean;
}

/** Groups and aggregates chunk by chunk; partial states from elsewhere (workers) merge in. */
export class GroupAggregator {
  private readonly groupKeys: KeyValue[][] = [];
  private readonly groupIndex = new Map<string, number>();
  private readonly acc: Accumulators[];
  private rowsPerGroup: Float64Array = new Float64Array(16);
  private readonly inexact = { found: false };
  private readonly runMemo: RunMemo = { starts: new Int32Array(0), values: new Float64Array(0), groups: new Map() };

  constructor(private readonly keys: readonly KeySpec[], private readonly aggs: readonly AggSpec[]) {
    this.acc = aggs.map((a) => new Accumulators(a.type === 'int64'));
    if (keys.length === 0) this.groupOf([]);
  }

  /** The global group of a key tuple, made on first sight. */
  private readonly groupOf = (key: KeyValue[]): number => {
    const name = JSON.stringify(key);
    let g = this.groupIndex.get(name);
    if (g === undefined) { g = this.groupKeys.length; this.groupKeys.push(key); this.groupIndex.set(name, g); }
    return g;
  };

  private ensureRows(groups: number): void {
    if (groups <= this.rowsPerGroup.length) return;
    const b = new Float64Array(Math.max(groups, this.rowsPerGroup.length * 2));
    b.set(this.rowsPerGroup);
    this.rowsPerGroup = b;
  }

  /** Adds a chunk's selected rows; false once a key cannot be grouped exactly. */
  add(chunk: ScanChunk): boolean {
    if (this.inexact.found) return false;
    const { keys, aggs, acc, groupOf, inexact } = this;
    const k = kernels();
    const n = chunk.rows;
    const sel = chunk.selection;
    let global: Int32Array;
    // One group for the whole chunk (no keys, or keys constant in it such as a partition key): no per-row lookup.
    // Time buckets in runs, other keys constant: groups assigned per run.
    const constant = keys.length === 0 ? 0 : constantGroup(chunk, keys, groupOf);
    const byRun = constant < 0 ? byRuns(chunk, keys, groupOf, this.runMemo) : null;
    if (constant >= 0) global = groupFill(constant, n);
    else if (byRun) global = byRun;
    else {
      const perKey: { ids: Int32Array; values: KeyValue[] }[] = keys.map((spec) => {
        const values: KeyValue[] = [];
        return { ids: localIds(spec, chunk.columns.get(spec.column)!, sel, n, values, inexact), values };
      });
      if (inexact.found) return false;
      global = combineKeys(perKey.map((pk) => pk.ids), perKey.map((pk) => pk.values.length + 1), n);
      // Chunk-local groups -> global groups: a dense table when the keys' cardinalities allow, a Map otherwise.
      let product = 1;
      for (const pk of perKey) product *= pk.values.length + 1;
      const dense = product <= 1 << 20 ? new Int32Array(product).fill(-1) : null;
      const sparse = dense ? null : new Map<number, number>();
      const lookup = (composite: number, i: number): number => {
        let g = dense ? dense[composite]! : (sparse!.get(composite) ?? -1);
        if (g >= 0) return g;
        g = groupOf(perKey.map((pk) => pk.values[pk.ids[i]!]!));
        if (dense) dense[composite] = g; else sparse!.set(composite, g);
        return g;
      };
      if (dense) {
        // A plain table read per row; the slow path only where a local group is first seen.
        for (let i = k.remapGroups(global, 0, n, dense); i < n; i = k.remapGroups(global, i + 1, n, dense)) global[i] = lookup(global[i]!, i);
      } else {
        let lastComposite = -1; let lastGroup = -1;
        for (let i = 0; i < n; i++) {
          const c = global[i]!;
          // Sorted chunks repeat groups in runs.
          if (c !== lastComposite) { lastComposite = c; lastGroup = lookup(c, i); }
          global[i] = lastGroup;
        }
      }
    }
    const groups = this.groupKeys.length;
    this.ensureRows(groups);
    if (constant >= 0) this.rowsPerGroup[constant]! += n;
    else k.aggCount(null, null, global, n, n, this.rowsPerGroup);
    aggs.forEach((spec, a) => {
      if ((spec.fn === 'count_star' || spec.column === null) && !spec.filter) return;
      const s = acc[a]!;
      s.ensure(groups);
      // FILTER (WHERE ...): the aggregate sees only the rows that pass, as a narrower selection.
      const only = spec.filter ? filteredRows(chunk, spec.filter, global) : null;
      const rowSel = only ? only.sel : sel;
      const ids = only ? only.groups : global;
      const m = only ? only.sel.length : n;
      if (spec.column === null) { k.aggCount(null, rowSel, ids, m, chunk.rows, s.count); return; }
      const col = chunk.columns.get(spec.column)!;
      if (spec.fn === 'count_distinct') { addDistinct(s, col, rowSel, ids, m, groups); return; }
      if (spec.fn === 'arg_min' || spec.fn === 'arg_max') { addArg(s, col, chunk.columns.get(spec.by!)!, rowSel, ids, m, spec.fn === 'arg_max'); return; }
      if (spec.fn === 'count' || col.type === 'string' || col.type === 'bool') { k.aggCount(col.valid, rowSel, ids, m, col.length, s.count); return; }
      const fn = spec.fn === 'min' ? Agg.min : spec.fn === 'max' ? Agg.max : Agg.sum;
      if (col.type === 'int64') {
        for (let from = 0; from < m; from += aggI64RowsMax) {
          const part = Math.min(aggI64RowsMax, m - from);
          if (fn === Agg.sum && s.rowsSinceFold + part > aggI64RowsMax) s.fold(groups);
          // Without a selection, the slice's rows are from..from+part: give them as a selection.
          const rows = rowSel ? rowSel.subarray(from, from + part) : from === 0 ? null : Uint32Array.from({ length: part }, (_, i) => from + i);
          k.aggI64(fn, col.values, col.valid, rows, ids.subarray(from, from + part), part, s.count, s.hi!, s.lo!, s.mm!);
          s.rowsSinceFold += part;
        }
        return;
      }
      if (col.type === 'int32') k.aggI32(fn, col.values, col.valid, rowSel, ids, m, s.count, s.state, s.comp);
      else k.aggF64(fn, col.values, col.valid, rowSel, ids, m, s.count, s.state, s.comp);
    });
    return true;
  }

  /** Everything added so far, as plain data. */
  partial(): PartialGroups {
    const groups = this.groupKeys.length;
    this.ensureRows(groups);
    return {
      keys: this.groupKeys, rows: this.rowsPerGroup.slice(0, groups),
      accs: this.acc.map((s, a) => s.export(groups, this.aggs[a]!)), inexact: this.inexact.found,
    };
  }

  /** Folds in another aggregator's partial state (of the same keys and aggregates). */
  merge(p: PartialGroups): void {
    if (p.inexact) this.inexact.found = true;
    if (this.inexact.found) return;
    const into = Int32Array.from(p.keys, (key) => this.groupOf(key));
    const groups = this.groupKeys.length;
    this.ensureRows(groups);
    for (let g = 0; g < into.length; g++) this.rowsPerGroup[into[g]!]! += p.rows[g]!;
    this.acc.forEach((s, a) => s.merge(p.accs[a]!, into, groups, this.aggs[a]!));
  }

  /** The groups and their aggregates' values; null when DuckDB must answer instead. */
  result(): GroupResult | null {
    if (this.inexact.found) return null;
    const { groupKeys, rowsPerGroup, acc } = this;
    this.ensureRows(groupKeys.length);
    const values = this.aggs.map((spec, a) => {
      const s = acc[a]!;
      s.ensure(groupKeys.length);
      if (s.int64 && (spec.fn === 'sum' || spec.fn === 'avg')) s.fold(groupKeys.length);
      return groupKeys.map((_, g): AggValue => {
        const none = s.count[g] === 0;
        switch (spec.fn) {
          case 'count_star': return spec.filter ? s.count[g]! : rowsPerGroup[g]!;
          case 'count': return s.count[g]!;
          case 'count_distinct': return s.distinct[g]?.size ?? 0;
          case 'sum': return none ? null : s.int64 ? (s.total![g] ?? 0n) : total(s, g);
          case 'avg': return none ? null : s.int64 ? Number(s.total![g] ?? 0n) / s.count[g]! : total(s, g) / s.count[g]!;
          case 'min': case 'max': return none ? null : s.int64 ? s.mm![g]! : s.state[g]!;
          case 'arg_min': case 'arg_max': return s.argValue[g] ?? null;
        }
      });
    });
    return { keys: groupKeys, values };
  }
}

/** Groups and aggregates of the chunks' selected rows, on this thread. */
export function aggregate(chunks: readonly ScanChunk[], keys: readonly KeySpec[], aggs: readonly AggSpec[]): GroupResult | null {
  const g = new GroupAggregator(keys, aggs);
  for (const chunk of chunks) if (!g.add(chunk)) return null;
  return g.result();
}

function total(s: Accumulators, g: number): number {
  const t = s.state[g]!;
  // Infinities and NaN make the compensation NaN; the plain sum is then the answer.
  return Number.isFinite(t) ? t + s.comp[g]! : t;
}
