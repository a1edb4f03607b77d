/**
 * One aggregate's running state per group, and how two of them merge: a
 * worker aggregates its share of the chunks into its own accumulators and
 * the main thread folds each worker's partial state into one. Merging
 * follows the same rules as the row loop: NULLs were never counted, NaN is
 * the greatest double, sums stay compensated (doubles) or exact (int64),
 * and of equal arg_min/arg_max deciders the one already held is kept.
 */
import type { AggSpec, AggValue } from './aggregate.js';

/** An Accumulators' state as plain data (structured-clonable): what a worker sends back. */
export interface AccumulatorState {
  count: Float64Array;
  state: Float64Array;
  comp: Float64Array;
  /** int64 sums, exact (folded before export). */
  total: (bigint | undefined)[] | null;
  mm: BigInt64Array | null;
  /** count(DISTINCT): per group, the values (strings as themselves, not local ids). */
  distinct: (number | bigint | string)[][];
  argBy: (number | bigint | undefined)[];
  argValue: AggValue[];
}

/** DuckDB's order for doubles: NaN above every number. */
const less = (a: number, b: number): boolean => a < b || (b !== b && a === a);

export class Accumulators {
  count: Float64Array = new Float64Array(16);
  state: Float64Array = new Float64Array(16);
  comp: Float64Array = new Float64Array(16);
  /** int64: word sums since the last fold, exact totals, min/max. */
  hi: Float64Array | null = null;
  lo: Float64Array | null = null;
  total: bigint[] | null = null;
  mm: BigInt64Array | null = null;
  rowsSinceFold = 0;
  /** count(DISTINCT): per group, the values seen (strings as ids in `ids`). */
  distinct: Set<number | bigint>[] = [];
  ids = new Map<string, number>();
  /** arg_min/arg_max: per group, the deciding value so far and the picked row's value. */
  argBy: (number | bigint | undefined)[] = [];
  argValue: AggValue[] = [];

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

  /** The state of `groups` groups as plain data. */
  export(groups: number, spec: AggSpec): AccumulatorState {
    this.ensure(groups);
    if (this.int64) this.fold(groups);
    const names = spec.fn === 'count_distinct' && spec.type === 'string' ? [...this.ids.keys()] : null;
    return {
      count: this.count.slice(0, groups), state: this.state.slice(0, groups), comp: this.comp.slice(0, groups),
      total: this.total ? this.total.slice(0, groups) : null, mm: this.mm ? this.mm.slice(0, groups) : null,
      distinct: this.distinct.slice(0, groups).map((set) => (names ? [...set].map((id) => names[id as number]!) : [...set])),
      argBy: this.argBy.slice(0, groups), argValue: this.argValue.slice(0, groups),
    };
  }

  /** Folds another's state in: its group g is this one's group `into[g]` (`groups`: this one's group count). */
  merge(p: AccumulatorState, into: Int32Array, groups: number, spec: AggSpec): void {
    this.ensure(groups);
    const fn = spec.fn;
    for (let g = 0; g < p.count.length; g++) {
      const t = into[g]!;
      const n = p.count[g]!;
      if (fn === 'count_distinct') { this.mergeDistinct(p.distinct[g], t); continue; }
      if (fn === 'arg_min' || fn === 'arg_max') { this.mergeArg(p.argBy[g], p.argValue[g] ?? null, t, fn === 'arg_max'); continue; }
      if (n === 0) continue;
      const had = this.count[t]!;
      this.count[t] = had + n;
      if (fn !== 'sum' && fn !== 'avg' && fn !== 'min' && fn !== 'max') continue;
      if (this.int64) {
        if (fn === 'sum' || fn === 'avg') { this.total![t] = (this.total![t] ?? 0n) + (p.total![g] ?? 0n); continue; }
        const x = p.mm![g]!; const cur = this.mm![t]!;
        if (had === 0 || (fn === 'min' ? x < cur : x > cur)) this.mm![t] = x;
        continue;
      }
      const x = p.state[g]!;
      if (fn === 'sum' || fn === 'avg') {
        // Neumaier's step with the other sum as the addend, then its own compensation.
        const t0 = this.state[t]!; const s = t0 + x;
        this.comp[t]! += (Math.abs(t0) >= Math.abs(x) ? (t0 - s) + x : (x - s) + t0) + p.comp[g]!;
        this.state[t] = s;
      } else if (had === 0 || (fn === 'min' ? less(x, this.state[t]!) : less(this.state[t]!, x))) this.state[t] = x;
    }
  }

  private mergeDistinct(values: (number | bigint | string)[] | undefined, t: number): void {
    while (this.distinct.length <= t) this.distinct.push(new Set());
    const set = this.distinct[t]!;
    for (const v of values ?? []) {
      if (typeof v !== 'string') { set.add(v); continue; }
      let id = this.ids.get(v);
      if (id === undefined) { id = this.ids.size; this.ids.set(v, id); }
      set.add(id);
    }
  }

  private mergeArg(by: number | bigint | undefined, value: AggValue, t: number, greatest: boolean): void {
    if (by === undefined) return;
    const best = this.argBy[t];
    if (best !== undefined && compareDecider(by, best) * (greatest ? 1 : -1) <= 0) return;
    this.argBy[t] = by;
    this.argValue[t] = value;
  }
}

/** Deciders of arg_min/arg_max compared as DuckDB orders them (NaN greatest). */
export function compareDecider(v: number | bigint, best: number | bigint): number {
  if (typeof v === 'bigint') return v < (best as bigint) ? -1 : v > (best as bigint) ? 1 : 0;
  const b = best as number;
  return v !== v ? (b === b ? 1 : 0) : b !== b ? -1 : v < b ? -1 : v > b ? 1 : 0;
}
