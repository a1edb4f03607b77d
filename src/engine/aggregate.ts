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

export interface GroupResult {
  keys: KeyValue[][];
  /** Per aggregate, per group: the value (number, or null for no values). */
  values: (number | null)[][];
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
function localIds(spec: KeySpec, col: ColumnValues, sel: Uint32Array | null, n: number, values: KeyValue[]): Int32Array {
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
    if (col.type === 'bool') v = col.values[r]!;
    else if (col.type === 'string' || col.type === 'int64') throw new Error('unsupported key type');
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

class Accumulators {
  count: number[] = [];
  sum: number[] = [];
  comp: number[] = [];
  min: number[] = [];
  max: number[] = [];
  addGroup(): void { this.count.push(0); this.sum.push(0); this.comp.push(0); this.min.push(NaN); this.max.push(NaN); }
}

/** DuckDB's order: NaN above every number. */
function less(a: number, b: number): boolean { return a < b || (b !== b && a === a); }

export function aggregate(chunks: readonly ScanChunk[], keys: readonly KeySpec[], aggs: readonly AggSpec[]): GroupResult {
  const groupKeys: KeyValue[][] = [];
  const groupIndex = new Map<string, number>();
  const acc = aggs.map(() => new Accumulators());
  const rowsPerGroup: number[] = [];
  const addGroup = (k: KeyValue[]): number => {
    const id = groupKeys.length;
    groupKeys.push(k);
    rowsPerGroup.push(0);
    for (const a of acc) a.addGroup();
    return id;
  };
  if (keys.length === 0) addGroup([]);
  for (const chunk of chunks) {
    const n = chunk.rows;
    const sel = chunk.selection;
    let global: Int32Array;
    if (keys.length === 0) global = new Int32Array(n);
    else {
      const perKey: { ids: Int32Array; values: KeyValue[] }[] = keys.map((k) => {
        const values: KeyValue[] = [];
        return { ids: localIds(k, chunk.columns.get(k.column)!, sel, n, values), values };
      });
      global = new Int32Array(n);
      // Chunk-local groups: a dense table when the keys' cardinalities allow, a Map otherwise.
      let product = 1;
      for (const k of perKey) product *= k.values.length + 1;
      const dense = product <= 1 << 20 ? new Int32Array(product).fill(-1) : null;
      const sparse = dense ? null : new Map<number, number>();
      const ids0 = perKey[0]!.ids;
      const ids1 = perKey.length > 1 ? perKey[1]!.ids : null;
      const radix1 = perKey.length > 1 ? perKey[1]!.values.length + 1 : 0;
      for (let i = 0; i < n; i++) {
        let composite: number;
        if (perKey.length === 1) composite = ids0[i]!;
        else if (perKey.length === 2) composite = ids0[i]! * radix1 + ids1![i]!;
        else { composite = 0; for (let k = 0; k < perKey.length; k++) composite = composite * (perKey[k]!.values.length + 1) + perKey[k]!.ids[i]!; }
        let g = dense ? dense[composite]! : (sparse!.get(composite) ?? -1);
        if (g < 0) {
          const keyVals = perKey.map((k) => k.values[k.ids[i]!]!);
          const name = JSON.stringify(keyVals);
          let found = groupIndex.get(name);
          if (found === undefined) { found = addGroup(keyVals); groupIndex.set(name, found); }
          g = found;
          if (dense) dense[composite] = g; else sparse!.set(composite, g);
        }
        global[i] = g;
      }
    }
    for (let i = 0; i < n; i++) rowsPerGroup[global[i]!]!++;
    aggs.forEach((spec, a) => {
      if (spec.fn === 'count_star' || spec.column === null) return;
      accumulate(spec.fn, chunk.columns.get(spec.column)!, sel, global, n, acc[a]!);
    });
  }
  const values = aggs.map((spec, a) => {
    const s = acc[a]!;
    return groupKeys.map((_, g) => {
      switch (spec.fn) {
        case 'count_star': return rowsPerGroup[g]!;
        case 'count': return s.count[g]!;
        case 'sum': return s.count[g] === 0 ? null : total(s, g);
        case 'avg': return s.count[g] === 0 ? null : total(s, g) / s.count[g]!;
        case 'min': return s.count[g] === 0 ? null : s.min[g]!;
        case 'max': return s.count[g] === 0 ? null : s.max[g]!;
      }
    });
  });
  return { keys: groupKeys, values };
}

/** One aggregate over one chunk: a loop per function, so the row loop has no branches on it. */
function accumulate(fn: AggFn, col: ColumnValues, sel: Uint32Array | null, global: Int32Array, n: number, s: Accumulators): void {
  const valid = col.valid;
  const count = s.count;
  if (fn === 'count' || col.type === 'string' || col.type === 'bool' || col.type === 'int64') {
    for (let i = 0; i < n; i++) { const r = sel ? sel[i]! : i; if (valid === null || ((valid[r >>> 3]! >>> (r & 7)) & 1) === 1) count[global[i]!]!++; }
    return;
  }
  const v = col.values;
  const sum = s.sum; const comp = s.comp; const min = s.min; const max = s.max;
  for (let i = 0; i < n; i++) {
    const r = sel ? sel[i]! : i;
    if (valid !== null && ((valid[r >>> 3]! >>> (r & 7)) & 1) === 0) continue;
    const g = global[i]!;
    const x = v[r]!;
    const c = ++count[g]!;
    if (fn === 'min') { if (c === 1 || less(x, min[g]!)) min[g] = x; }
    else if (fn === 'max') { if (c === 1 || less(max[g]!, x)) max[g] = x; }
    else {
      // Neumaier summation: close to the exact sum, whatever order the chunks come in.
      const t0 = sum[g]!; const t = t0 + x;
      comp[g]! += Math.abs(t0) >= Math.abs(x) ? (t0 - t) + x : (x - t) + t0;
      sum[g] = t;
    }
  }
}

function total(s: Accumulators, g: number): number {
  const t = s.sum[g]!;
  // Infinities and NaN make the compensation NaN; the plain sum is then the answer.
  return Number.isFinite(t) ? t + s.comp[g]! : t;
}
