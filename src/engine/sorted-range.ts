/**
 * A chunk of its own partition is sorted by the dataset's sort key, so
 * comparisons on the first sort-key column select one contiguous range of
 * rows: found by binary search instead of testing every row, and handed on
 * as a view of one shared identity selection (no per-row work, no copy).
 */
import type { Predicate } from './predicate.js';

type Sorted = Float64Array | Int32Array;

/** First row whose value is >= v (strict: > v). */
function bound(values: Sorted, v: number, strict: boolean, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = values[mid]!;
    if (strict ? x <= v : x < v) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Narrows [lo, hi) by the predicates it can answer on a sorted column without NULLs; returns the others. */
export function narrowSorted(predicates: readonly Predicate[], column: string, values: Sorted, range: { lo: number; hi: number }): Predicate[] {
  const rest: Predicate[] = [];
  for (const p of predicates) {
    if (p.column !== column) { rest.push(p); continue; }
    const num = (c: unknown): number | null => (typeof c === 'number' && !Number.isNaN(c) ? c : null);
    let { lo, hi } = range;
    switch (p.op) {
      case 'ge': case 'gt': { const v = num(p.value); if (v === null) { rest.push(p); continue; } lo = Math.max(lo, bound(values, v, p.op === 'gt', lo, hi)); break; }
      case 'le': case 'lt': { const v = num(p.value); if (v === null) { rest.push(p); continue; } hi = Math.min(hi, bound(values, v, p.op === 'le', lo, hi)); break; }
      case 'eq': { const v = num(p.value); if (v === null) { rest.push(p); continue; } lo = bound(values, v, false, lo, hi); hi = bound(values, v, true, lo, hi); break; }
      case 'between': {
        const a = num(p.low); const b = num(p.high);
        if (a === null || b === null) { rest.push(p); continue; }
        lo = bound(values, a, false, lo, hi); hi = Math.max(lo, bound(values, b, true, lo, hi));
        break;
      }
      default: rest.push(p); continue;
    }
    range.lo = lo; range.hi = Math.max(lo, hi);
  }
  return rest;
}

let identity = new Uint32Array(0);

/** Rows lo..hi-1 as a selection: a view of a shared array of 0, 1, 2, ... (never written through). */
export function rangeSelection(lo: number, hi: number): Uint32Array {
  if (identity.length < hi) {
    identity = new Uint32Array(Math.max(hi, identity.length * 2));
    for (let i = 0; i < identity.length; i++) identity[i] = i;
  }
  return identity.subarray(lo, hi);
}
