/**
 * Partition pruning without testing every chunk: a snapshot's chunks by the
 * value of its first partition key column (strings), built once per
 * snapshot, so `key = 'v'` or `key IN (...)` over thousands of partitions
 * checks only the chunks of those partitions and the mixed ones.
 */
import type { ChunkRef } from '../chunk/chunk.js';
import type { ColumnType } from '../schema/schema.js';
import type { Snapshot } from '../versions/snapshot.js';
import type { Predicate } from './predicate.js';

/** A snapshot's chunks by the value of the first partition key column (strings), and its mixed chunks; made once per snapshot. */
interface PartitionIndex { byKey: Map<string, ChunkRef[]>; mixed: ChunkRef[]; order: Map<ChunkRef, number>; partitioned: number }
const partitionIndexes = new WeakMap<Snapshot, PartitionIndex>();

function partitionIndex(snapshot: Snapshot): PartitionIndex {
  let index = partitionIndexes.get(snapshot);
  if (index) return index;
  index = { byKey: new Map(), mixed: [], order: new Map(), partitioned: 0 };
  for (const ref of snapshot.chunks.values()) {
    index.order.set(ref, index.order.size);
    if (ref.mixed) { index.mixed.push(ref); continue; }
    index.partitioned++;
    const k = ref.key[0];
    if (typeof k !== 'string') continue;
    const list = index.byKey.get(k);
    if (list) list.push(ref); else index.byKey.set(k, [ref]);
  }
  partitionIndexes.set(snapshot, index);
  return index;
}

/**
 * The chunks worth checking one by one: with `key = 'v'` or `key IN (...)`
 * on a string first partition key, the chunks of those partitions and the
 * mixed ones (found in the partition index, in snapshot order), and how many
 * partitioned chunks that skipped; otherwise every chunk.
 */
export function keyCandidates(snapshot: Snapshot, predicates: readonly Predicate[], typeOf: ReadonlyMap<string, ColumnType>): { candidates: Iterable<ChunkRef>; skipped: number } {
  const key = snapshot.schema.partitionKey[0];
  const p = key === undefined || typeOf.get(key) !== 'string' ? undefined : predicates.find((q) => q.column === key && (q.op === 'eq' || q.op === 'in'));
  const values = p?.op === 'eq' ? [p.value] : p?.op === 'in' ? p.values : null;
  if (!values || !values.every((v) => typeof v === 'string')) return { candidates: snapshot.chunks.values(), skipped: 0 };
  const index = partitionIndex(snapshot);
  const found = new Set<ChunkRef>(index.mixed);
  let partitioned = 0;
  for (const v of values) for (const ref of index.byKey.get(v as string) ?? []) if (!found.has(ref)) { found.add(ref); partitioned++; }
  const candidates = [...found].sort((a, b) => index.order.get(a)! - index.order.get(b)!);
  return { candidates, skipped: index.partitioned - partitioned };
}
