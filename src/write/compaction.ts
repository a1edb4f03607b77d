/**
 * Compaction: a partition's rows, scattered by a stream over mixed chunks
 * and small chunks, rewritten into chunks of their own partition, sorted by
 * the sort key and cut at chunkRows, as a new version of kind `compact`
 * that removes the inputs and adds the outputs. No answer changes at any
 * version: the rows are the same, and versions before it still refer to the
 * chunks they had.
 *
 * Which chunks (inputs):
 * - every mixed chunk (oldest first);
 * - `tiered`: a partition's small chunks (fewer than chunkRows rows) once it
 *   has `tierChunks` of them, so chunks grow by merging a few at a time and
 *   a long stream rewrites each row only a few times;
 * - `full` (on demand, or when the dataset goes quiet): every small chunk of
 *   a partition that has two or more, or whose rows also sit in a mixed
 *   chunk being compacted, so each partition ends in as few chunks as its
 *   rows need.
 * At most rowsMax rows are read per run; the rest waits for the next run.
 *
 * It never blocks appends: the commit checks that every input is still live
 * on the head it commits on (appends only add chunks), and a run that lost
 * its inputs (to a rollback or another compaction) commits nothing.
 */
import type { Batch, BatchColumn } from '../chunk/batch.js';
import { concatBatches } from '../chunk/batch.js';
import type { ChunkRef } from '../chunk/chunk.js';
import { yieldTurn } from '../core/turn.js';
import type { EncodedChunk } from '../chunk/chunk.js';
import { chunkPieces, mixedPartition, partitionsOf } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import { isValid } from '../chunk/column.js';
import { keptRows } from '../chunk/mask.js';
import type { RowIds } from '../chunk/row-ids.js';
import { concatIds, takeIds } from '../chunk/row-ids.js';
import { assert } from '../core/assert.js';
import type { Limits } from '../core/limits.js';
import type { ChunkReader } from '../engine/chunk-reader.js';
import type { DatasetSchema } from '../schema/schema.js';
import type { Store } from '../storage/store.js';
import type { VersionLog } from '../versions/log.js';
import type { Snapshot } from '../versions/snapshot.js';
import { segmentName, writeSegments } from './segment.js';

export interface CompactionOptions {
  full: boolean;
}

export interface CompactionResult {
  /** The version it committed, or null when there was nothing to do (or its inputs went away). */
  version: number | null;
  chunksIn: number;
  chunksOut: number;
  rows: number;
  bytesIn: number;
  bytesOut: number;
  ms: number;
}

/** Chunks a compaction would take now, and the partitions whose small chunks it would add once it sees the mixed rows. */
export interface CompactionWork {
  mixed: ChunkRef[];
  /** Small (fewer than chunkRows rows) chunks by partition id, oldest first. */
  small: Map<string, ChunkRef[]>;
}

export function compactionWork(head: Snapshot): CompactionWork {
  const mixed: ChunkRef[] = [];
  const small = new Map<string, ChunkRef[]>();
  for (const c of head.chunks.values()) {
    if (c.mixed) { mixed.push(c); continue; }
    if (c.rows >= head.schema.chunkRows) continue;
    const list = small.get(c.partition) ?? [];
    list.push(c);
    small.set(c.partition, list);
  }
  return { mixed, small };
}

/** Chunks waiting for compaction (mixed ones, and small ones of partitions that have several). */
export function pendingChunks(head: Snapshot): number {
  const { mixed, small } = compactionWork(head);
  let n = mixed.length;
  for (const list of small.values()) if (list.length > 1) n += list.length;
  return n;
}

function bytesOf(c: ChunkRef): number {
  let n = 0;
  for (const m of Object.values(c.columns)) n += m.bytes;
  return n;
}

/** Decoded chunk columns back into the shape ingestion builds (a copy, so cached arrays are never touched). */
function toBatch(values: ReadonlyMap<string, ColumnValues>, schema: DatasetSchema, rows: number): Batch {
  const columns = new Map<string, BatchColumn>();
  for (const col of schema.columns) {
    const v = values.get(col.name)!;
    const isNull = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) if (!isValid(v.valid, i)) isNull[i] = 1;
    switch (v.type) {
      case 'string': columns.set(col.name, { type: 'string', values: Array.from(v.codes.subarray(0, rows), (code, i) => (isNull[i] ? null : v.dict[code]!)), isNull }); break;
      case 'float64': case 'timestamp': columns.set(col.name, { type: v.type, values: v.values.slice(0, rows), isNull }); break;
      case 'int32': columns.set(col.name, { type: 'int32', values: v.values.slice(0, rows), isNull }); break;
      case 'int64': columns.set(col.name, { type: 'int64', values: v.values.slice(0, rows), isNull }); break;
      case 'bool': columns.set(col.name, { type: 'bool', values: v.values.slice(0, rows), isNull }); break;
    }
  }
  return { rows, columns };
}

/** The ids of the rows a ref shows, in order; null for a chunk written before rows had ids. */
async function liveIds(reader: ChunkReader, dataset: string, ref: ChunkRef): Promise<RowIds | null> {
  const ids = await reader.rowIds(dataset, ref);
  if (!ids || !ref.mask) return ids;
  return takeIds(ids, keptRows((await reader.mask(dataset, ref))!, ref.mask.stored));
}

export async function compact(store: Store, log: VersionLog, reader: ChunkReader, limits: Limits, dataset: string, options: CompactionOptions): Promise<CompactionResult> {
  const t0 = performance.now();
  const head = await log.snapshot(dataset);
  const schema = head.schema;
  const work = compactionWork(head);
  const inputs: ChunkRef[] = [];
  let rows = 0;
  const take = (c: ChunkRef): boolean => {
    if (rows > 0 && rows + c.rows > limits.compactionRowsMax) return false;
    inputs.push(c);
    rows += c.rows;
    return true;
  };
  // Mixed chunks first: they are what makes a stream slow to query.
  const batches: Batch[] = [];
  const ids: (RowIds | null)[] = [];
  const read = async (c: ChunkRef): Promise<Batch> => {
    const b = toBatch(await reader.readColumns(dataset, c, schema.columns, undefined, false), schema, c.rows);
    ids.push(await liveIds(reader, dataset, c));
    batches.push(b);
    return b;
  };
  const mixedPartitions = new Set<string>();
  for (const c of work.mixed) {
    if (!take(c)) break;
    const b = await read(c);
    await yieldTurn();
    // Which partitions the mixed rows belong to, so a full run merges them with those partitions' small chunks.
    if (options.full) for (const p of partitionsOf(b, schema)) mixedPartitions.add(p);
  }
  for (const [partition, list] of work.small) {
    // A full run also writes out a masked chunk on its own, so deleted rows leave the store once no version needs them.
    const wanted = options.full ? list.length > 1 || mixedPartitions.has(partition) || list.some((c) => c.mask) : list.length >= limits.compactionTierChunks;
    if (!wanted) continue;
    for (const c of list) {
      if (!take(c)) break;
      await read(c);
    }
  }
  const nothing: CompactionResult = { version: null, chunksIn: 0, chunksOut: 0, rows: 0, bytesIn: 0, bytesOut: 0, ms: performance.now() - t0 };
  // A single chunk that is already its partition's own is left as it is.
  if (inputs.length === 0 || (inputs.length === 1 && !inputs[0]!.mixed && !inputs[0]!.mask)) return nothing;

  // Cut and encode a chunk at a time, giving the event loop a turn in between: compaction shares the process with queries.
  const chunks: EncodedChunk[] = [];
  // Row ids go with the rows (a chunk from before rows had ids leaves the run without them).
  const carried = ids.every((x) => x !== null) ? concatIds(ids as RowIds[]) : undefined;
  for (const c of chunkPieces(concatBatches(batches), schema, { salt: `compact\0${segmentName()}`, statsStringBytesMax: limits.statsStringBytesMax, mixedBelowRows: 0, ...(carried ? { ids: carried } : {}) })) {
    // Its decoded columns are not kept: a run holds up to compactionRowsMax rows, and no cache takes them.
    c.values.clear();
    chunks.push(c);
    await yieldTurn();
  }
  assert(chunks.every((c) => c.ref.partition !== mixedPartition) && chunks.reduce((n, c) => n + c.ref.rows, 0) === rows, 'compaction keeps every row, each in its own partition');
  const adds = await writeSegments(store, dataset, chunks, limits.segmentBytesMax);
  const version = await log.commit<number | null>(dataset, (now) => {
    // Appends only add chunks; if an input is gone, a rollback or another compaction got there first.
    if (inputs.some((c) => !now.chunks.has(c.id))) return { done: null };
    return {
      commit: { kind: 'compact', schema: now.schema, adds, removes: inputs.map((c) => c.id), rowsAdded: rows, rowsRemoved: rows },
      result: (v) => v,
    };
  });
  if (version === null) return nothing;
  return {
    version, chunksIn: inputs.length, chunksOut: adds.length, rows,
    bytesIn: inputs.reduce((n, c) => n + bytesOf(c), 0), bytesOut: adds.reduce((n, c) => n + bytesOf(c), 0), ms: performance.now() - t0,
  };
}
