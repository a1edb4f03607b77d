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

export type TruncUnit = 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';

export type KeySpec =
  | { kind: 'column'; column: string; type: ColumnType }
  | { kind: 'trunc'; column: string; unit: TruncUnit }
  | { kind: 'bucket'; column: string; widthMs: number; originMs: number };

export type AggFn = 'count_star' | 'count' | 'sum' | 'avg' | 'min' | 'max';
export interface AggSpec { fn: AggFn; column: string | null; type: ColumnType | null }

/** A key value: string, number (int32, or ms for time keys), boolean, or null. */
export type KeyValue = string | number | boolean | null;

/** An aggregate's value: a number, a bigint (exact int64 sums, min and max), or null for no values. */
export type AggValue = number | bigint | null;

export interface GroupResult {
  keys: KeyValue[][];
  /** Per aggregate, per group. */
  values: AggValue[][];
}

const dayMs = 86_400_000;

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
  const fixed = { second: 1000, minute: 60_000, hour: 3_600_000, day: dayMs, week: 7 * dayMs } as const;
  if (unit in fixed) return b + fixed[unit as keyof typeof fixed];
  const d = new Date(b);
  d.setUTCMonth(d.getUTCMonth() + (unit === 'month' ? 1 : unit === 'quarter' ? 3 : 12));
  return d.getTime();
}

/** Per-row local key ids of one chunk for one key (-1 never used: NULL gets its own id). */
function localIds(spec: KeySpec, col: ColumnValues, sel: Uint32Array | null, n: number, values: KeyValue[], inexact: { found: boolean }): Int32Array {
  const ids = new Int32Array(n);
  const row = (i: number): number => (sel ? sel[i]! : i);
  if (spec.kind === 'column' && col.type === 'string') {
    const map = new Int32Array(col.dict.length + 1).fill(-1);
    for (let i = 0; i < n; i++) {
      const r = row(i);
      const code = isValid(col.valid, r) ? col.codes[r]! : col.dict.length;
      let id = map[code]!;
      if (id < 0) { id = values.length; map[code] = id; values.push(code === col.dict.length ? null : col.dict[code]!); }
      ids[i] = id;
    }
    return ids;
  }
  const seen = new Map<number | string, number>();
  let words: Int32Array | undefined;
  let lastRaw = NaN; let lastId = -1; let lastLo = Infinity; let lastHi = -Infinity;
  for (let i = 0; i < n; i++) {
    const r = row(i);
    if (!isValid(col.valid, r)) {
      let id = seen.get('null');
      if (id === undefined) { id = values.length; seen.set('null', id); values.push(null); }
      ids[i] = id;
      continue;
    }
    let v: number;
    if (col.type === 'int64') {
      words ??= new Int32Array(col.values.buffer, col.values.byteOffset, col.length * 2);
      v = words[2 * r + 1]! * 4294967296 + (words[2 * r]! >>> 0);
      // Beyond 2^53 two keys could fall on one double: DuckDB answers instead.
      if (!Number.isSafeInteger(v)) { inexact.found = true; return ids; }
    } else if (col.type === 'string') throw new Error('unsupported key type');
    else v = col.values[r]!;
    if (spec.kind !== 'column') {
      // Sorted time columns repeat buckets in runs: reuse the last bucket while the value stays inside it.
      if (v >= lastLo && v < lastHi) { ids[i] = lastId; continue; }
      const b = spec.kind === 'trunc' ? truncate(v, spec.unit) : spec.originMs + Math.floor((v - spec.originMs) / spec.widthMs) * spec.widthMs;
      let id = seen.get(b);
      if (id === undefined) { id = values.length; seen.set(b, id); values.push(b); }
      lastId = id; lastLo = b;
      lastHi = spec.kind === 'bucket' ? b + spec.widthMs : nextBoundary(b, spec.unit);
      ids[i] = id;
      continue;
    }
    if (v === lastRaw) { ids[i] = lastId; continue; }
    let id = seen.get(v);
    if (id === undefined) { id = values.length; seen.set(v, id); values.push(col.type === 'bool' ? v === 1 : v); }
    lastRaw = v; lastId = id;
    ids[i] = id;
  }
  return ids;
}

/** Per-group state of one aggregate, in typed arrays the kernels write; grown as groups appear. */
class Accumulators {
  count: Float64Array = new Float64Array(16);
  state: Float64Array = new Float64Array(16);
  comp: Float64Array = new Float64Array(16);
  /** int64: word sums since the last fold, exact totals, min/max. */
  hi: Float64Array | null = null;
  lo: Float64Array | null = null;
  total: bigint[] | null = null;
  mm: BigInt64Array | null = null;
  rowsSinceFold = 0;

  constructor(readonly int64: boolean) {
    if (int64) { this.hi = new Float64Array(16); this.lo = new Float64Array(16); this.total = []; this.mm = new BigInt64Array(16); }
  }

  ensure(groups: number): void {
    if (groups <= this.count.length) return;
    const size = Math.max(groups, this.count.length * 2);
    const grow = (a: Float64Array): Float64Array => { const b = new Float64Array(size); b.set(a); return b; };
    this.count = grow(this.count); this.state = grow(this.state); this.comp = grow(this.comp);
    if (this.int64) {
      this.hi = grow(this.hi!); this.lo = grow(this.lo!);
      const mm = new BigInt64Array(size); mm.set(this.mm!); this.mm = mm;
    }
  }

  /** Moves int64 word sums into the exact totals (before they could stop being exact). */
  fold(groups: number): void {
    const hi = this.hi!; const lo = this.lo!; const total = this.total!;
    for (let g = 0; g < groups; g++) {
      if (hi[g] === 0 && lo[g] === 0) continue;
      total[g] = (total[g] ?? 0n) + BigInt(hi[g]!) * 4294967296n + BigInt(lo[g]!);
      hi[g] = 0; lo[g] = 0;
    }
    this.rowsSinceFold = 0;
  }
}

export function aggregate(chunks: readonly ScanChunk[], keys: readonly KeySpec[], aggs: readonly AggSpec[]): GroupResult | null {
  const k = kernels();
  const groupKeys: KeyValue[][] = [];
  const groupIndex = new Map<string, number>();
  const acc = aggs.map((a) => new Accumulators(a.type === 'int64'));
  let rowsPerGroup: Float64Array = new Float64Array(16);
  const addGroup = (key: KeyValue[]): number => {
    groupKeys.push(key);
    return groupKeys.length - 1;
  };
  const inexact = { found: false };
  if (keys.length === 0) addGroup([]);
  for (const chunk of chunks) {
    const n = chunk.rows;
    const sel = chunk.selection;
    let global: Int32Array;
    if (keys.length === 0) global = new Int32Array(n);
    else {
      const perKey: { ids: Int32Array; values: KeyValue[] }[] = keys.map((spec) => {
        const values: KeyValue[] = [];
        return { ids: localIds(spec, chunk.columns.get(spec.column)!, sel, n, values, inexact), values };
      });
      if (inexact.found) return null;
      global = new Int32Array(n);
      // Chunk-local groups: a dense table when the keys' cardinalities allow, a Map otherwise.
      let product = 1;
      for (const pk of perKey) product *= pk.values.length + 1;
      const dense = product <= 1 << 20 ? new Int32Array(product).fill(-1) : null;
      const sparse = dense ? null : new Map<number, number>();
      const ids0 = perKey[0]!.ids;
      const ids1 = perKey.length > 1 ? perKey[1]!.ids : null;
      const radix1 = perKey.length > 1 ? perKey[1]!.values.length + 1 : 0;
      for (let i = 0; i < n; i++) {
        let composite: number;
        if (perKey.length === 1) composite = ids0[i]!;
        else if (perKey.length === 2) composite = ids0[i]! * radix1 + ids1![i]!;
        else { composite = 0; for (let j = 0; j < perKey.length; j++) composite = composite * (perKey[j]!.values.length + 1) + perKey[j]!.ids[i]!; }
        let g = dense ? dense[composite]! : (sparse!.get(composite) ?? -1);
        if (g < 0) {
          const keyVals = perKey.map((pk) => pk.values[pk.ids[i]!]!);
          const name = JSON.stringify(keyVals);
          let found = groupIndex.get(name);
          if (found === undefined) { found = addGroup(keyVals); groupIndex.set(name, found); }
          g = found;
          if (dense) dense[composite] = g; else sparse!.set(composite, g);
        }
        global[i] = g;
      }
    }
    const groups = groupKeys.length;
    if (groups > rowsPerGroup.length) { const b = new Float64Array(Math.max(groups, rowsPerGroup.length * 2)); b.set(rowsPerGroup); rowsPerGroup = b; }
    k.aggCount(null, null, global, n, n, rowsPerGroup);
    aggs.forEach((spec, a) => {
      if (spec.fn === 'count_star' || spec.column === null) return;
      const s = acc[a]!;
      s.ensure(groups);
      const col = chunk.columns.get(spec.column)!;
      if (spec.fn === 'count' || col.type === 'string' || col.type === 'bool') { k.aggCount(col.valid, sel, global, n, col.length, s.count); return; }
      const fn = spec.fn === 'min' ? Agg.min : spec.fn === 'max' ? Agg.max : Agg.sum;
      if (col.type === 'int64') {
        for (let from = 0; from < n; from += aggI64RowsMax) {
          const m = Math.min(aggI64RowsMax, n - from);
          if (fn === Agg.sum && s.rowsSinceFold + m > aggI64RowsMax) s.fold(groups);
          // Without a selection, the slice's rows are from..from+m: give them as a selection.
          const rows = sel ? sel.subarray(from, from + m) : from === 0 ? null : Uint32Array.from({ length: m }, (_, i) => from + i);
          k.aggI64(fn, col.values, col.valid, rows, global.subarray(from, from + m), m, s.count, s.hi!, s.lo!, s.mm!);
          s.rowsSinceFold += m;
        }
        return;
      }
      if (col.type === 'int32') k.aggI32(fn, col.values, col.valid, sel, global, n, s.count, s.state, s.comp);
      else k.aggF64(fn, col.values, col.valid, sel, global, n, s.count, s.state, s.comp);
    });
  }
  const values = aggs.map((spec, a) => {
    const s = acc[a]!;
    s.ensure(groupKeys.length);
    if (s.int64 && (spec.fn === 'sum' || spec.fn === 'avg')) s.fold(groupKeys.length);
    return groupKeys.map((_, g): AggValue => {
      const none = s.count[g] === 0;
      switch (spec.fn) {
        case 'count_star': return rowsPerGroup[g]!;
        case 'count': return s.count[g]!;
        case 'sum': return none ? null : s.int64 ? (s.total![g] ?? 0n) : total(s, g);
        case 'avg': return none ? null : s.int64 ? Number(s.total![g] ?? 0n) / s.count[g]! : total(s, g) / s.count[g]!;
        case 'min': case 'max': return none ? null : s.int64 ? s.mm![g]! : s.state[g]!;
      }
    });
  });
  return { keys: groupKeys, values };
}

function total(s: Accumulators, g: number): number {
  const t = s.state[g]!;
  // Infinities and NaN make the compensation NaN; the plain sum is then the answer.
  return Number.isFinite(t) ? t + s.comp[g]! : t;
}
