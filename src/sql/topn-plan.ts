/**
 * Top-N by time bucket: `... GROUP BY <time bucket>[, ...] ORDER BY <time
 * bucket> DESC LIMIT n` (or ASC) needs only the newest (oldest) buckets.
 * From chunk statistics (no I/O) the newest time a row can have is known;
 * the engine first aggregates only rows within a few buckets of it. Every
 * bucket at or past that bound is then complete, and they all sort before
 * any bucket beyond it, so if they make at least n groups the first n are
 * the answer; otherwise the whole scan runs as before.
 */
import { bucketGrid } from '../engine/aggregate.js';
import type { Predicate } from '../engine/predicate.js';
import type { Snapshot } from '../versions/snapshot.js';
import type { AggregatePlan } from './aggregate-plan.js';

/** Buckets read past the n needed, so that a few empty buckets do not send the query back to a full scan. */
const spareBuckets = 8;

export interface TopNBound {
  /** The extra predicate that keeps only the rows of the candidate buckets. */
  predicate: Predicate;
  /** The key (output) the bound is on, and how many groups with a non-NULL key it must yield. */
  keyIndex: number;
  needed: number;
}

export function planTopN(plan: AggregatePlan, snapshot: Snapshot, predicates: readonly Predicate[]): TopNBound | null {
  const first = plan.order[0];
  if (plan.limit === null || plan.limit <= 0 || !first || first.nullsFirst) return null;
  const out = plan.outputs[first.output];
  if (out?.kind !== 'key') return null;
  const key = plan.keys[out.index]!;
  const wo = bucketGrid(key);
  if (!wo) return null;
  // The greatest (DESC) or least (ASC) time any row may have: chunk statistics, narrowed by the pushed bounds.
  let edge: number | null = null;
  for (const ref of snapshot.chunks.values()) {
    const m = first.desc ? ref.columns[key.column]?.max : ref.columns[key.column]?.min;
    if (typeof m !== 'number') continue;
    if (edge === null || (first.desc ? m > edge : m < edge)) edge = m;
  }
  if (edge === null) return null;
  for (const p of predicates) {
    if (p.column !== key.column) continue;
    const bound = first.desc
      ? (p.op === 'lt' || p.op === 'le' || p.op === 'eq' ? p.value : p.op === 'between' ? p.high : null)
      : (p.op === 'gt' || p.op === 'ge' || p.op === 'eq' ? p.value : p.op === 'between' ? p.low : null);
    if (typeof bound === 'number' && (first.desc ? bound < edge : bound > edge)) edge = bound;
  }
  const bucket = wo.origin + Math.floor((edge - wo.origin) / wo.width) * wo.width;
  const span = (plan.limit + spareBuckets) * wo.width;
  const predicate: Predicate = first.desc
    ? { column: key.column, op: 'ge', value: bucket - span }
    : { column: key.column, op: 'lt', value: bucket + wo.width + span };
  return { predicate, keyIndex: out.index, needed: plan.limit };
}
