/**
 * Preparing a scan of one snapshot: prune partitions by their key values and
 * chunks by their statistics (no I/O), read and decode the needed columns of
 * what is left, then filter rows with the pushed predicates into a selection
 * vector. What it did is counted for EXPLAIN.
 */
import type { ChunkRef } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import type { Column } from '../schema/schema.js';
import type { Snapshot } from '../versions/snapshot.js';
import type { ChunkReader } from './chunk-reader.js';
import type { WorkerPool } from './worker-pool.js';
import type { Predicate } from './predicate.js';
import { coversChunk, describePredicate, matchesKey, mayMatchChunk } from './predicate.js';
import { selectChunkRows } from './chunk-filter.js';
import { keyCandidates } from './partition-index.js';

export interface ScanChunk {
  /** Rows handed on: the selection's length, or all of the chunk's rows. */
  rows: number;
  /** Decoded columns by name; only the columns the query may touch are present. */
  columns: Map<string, ColumnValues>;
  /** Rows of the chunk that passed the pushed filter, in order; null = all. */
  selection: Uint32Array | null;
}

export interface ScanStats {
  dataset: string;
  version: number;
  predicates: string[];
  columns: string[];
  chunks: number;
  prunedByPartition: number;
  prunedByStats: number;
  /** Chunks whose statistics show every row passes: counted without being read (count(*) only). */
  countedFromStats: number;
  chunksRead: number;
  rowsRead: number;
  rowsSelected: number;
  readMs: number;
  filterMs: number;
  /** Chunks whose filter columns, read first, kept no row: their other columns were never read. */
  chunksDeferredSkipped: number;
  /** Worker threads that worked for this scan (0: the main thread did it all). */
  workers: number;
  /** What they did: decode chunks (the main thread filtering), or read, filter and aggregate them (engine aggregates). */
  workerTask: 'decode' | 'aggregate' | null;
}

/** A chunk's reads and row filters (see scanSnapshot). */
export interface ChunkPlan { read: Column[]; rowPredicates: Predicate[]; first: Column[]; rest: Column[]; deferrable: boolean }

export interface ScanWorkers {
  pool: () => WorkerPool;
  /** Rows of surviving chunks from which the workers are worth using. */
  rowsMin: number;
}

export interface ScanOptions {
  /** Chunk reads in flight at once (scanReadsInFlightMax): enough to hide storage latency, not everything in memory at once. */
  readsInFlightMax: number;
  workers?: ScanWorkers;
  /**
   * Hand on only the rows at their partition's greatest value of this
   * column (an int32 or timestamp; ties kept; a partition with no non-NULL
   * value keeps its rows): a last-point query needs no others.
   */
  lastBy?: string;
  /** Only row counts are needed (count(*) alone): chunks every row of which passes are not read. */
  rowsOnly?: boolean;
}

type Stat = ChunkRef['columns'][string]['max'];

/** A chunk's partition, as a map key. */
const partitionOf = (r: ChunkRef): string => JSON.stringify(r.key);

/**
 * Without filters, a partition's last point lies in the chunks whose greatest value is the partition's.
 * A masked chunk's maximum may be a deleted row's: like a mixed chunk, it is kept and decides nothing.
 */
function lastPointChunks(live: ChunkRef[], column: string): ChunkRef[] {
  const newest = new Map<string, number>();
  const maxOf = (r: ChunkRef): number | null => { const m: Stat | undefined = r.columns[column]?.max; return typeof m === 'number' ? m : null; };
  const unsure = (r: ChunkRef): boolean => r.mixed === true || r.mask !== undefined;
  for (const r of live) {
    const m = maxOf(r);
    if (unsure(r) || m === null) continue;
    const k = partitionOf(r);
    if (!(newest.get(k)! >= m)) newest.set(k, m);
  }
  return live.filter((r) => unsure(r) || !newest.has(partitionOf(r)) || maxOf(r) === newest.get(partitionOf(r)));
}

/** Narrows each chunk's selection to the rows at its partition's greatest value (mixed chunks are kept whole). */
function keepLastPoints(refs: ChunkRef[], chunks: (ScanChunk | null)[], column: string): void {
  const rowMax = (c: ScanChunk): number | null => {
    const col = c.columns.get(column)!;
    if (col.type !== 'timestamp' && col.type !== 'int32') return null;
    let best: number | null = null;
    for (let i = 0; i < c.rows; i++) {
      const r = c.selection ? c.selection[i]! : i;
      if (col.valid && ((col.valid[r >>> 3]! >>> (r & 7)) & 1) === 0) continue;
      const v = col.values[r]!;
      if (best === null || v > best) best = v;
    }
    return best;
  };
  const newest = new Map<string, number>();
  const maxes = chunks.map((c, i) => {
    if (!c || refs[i]!.mixed) return null;
    const m = rowMax(c);
    const k = partitionOf(refs[i]!);
    if (m !== null && !(newest.get(k)! >= m)) newest.set(k, m);
    return m;
  });
  chunks.forEach((c, i) => {
    if (!c || refs[i]!.mixed) return;
    const want = newest.get(partitionOf(refs[i]!));
    if (want === undefined) return; // no non-NULL value in the partition: every row stays
    if (maxes[i] !== want) { chunks[i] = null; return; }
    const col = c.columns.get(column)!;
    const values = (col as { values: Float64Array | Int32Array }).values;
    const kept: number[] = [];
    for (let j = 0; j < c.rows; j++) {
      const r = c.selection ? c.selection[j]! : j;
      if (col.valid && ((col.valid[r >>> 3]! >>> (r & 7)) & 1) === 0) continue;
      if (values[r] === want) kept.push(r);
    }
    chunks[i] = kept.length === 0 ? null : { rows: kept.length, columns: c.columns, selection: Uint32Array.from(kept) };
  });
}

/** What a scan will read, after pruning (no I/O): the chunks left, per chunk its reads and row filters. */
export interface ScanPlan {
  stats: ScanStats;
  /** Chunks to read, in snapshot order. */
  live: ChunkRef[];
  /** Chunks counted from their statistics (rowsOnly): rows only, no columns. */
  counted: ScanChunk[];
  /** Columns read only to filter (or find last points): dropped before the chunks are handed on. */
  filterCols: Column[];
  sortColumn: string | undefined;
  /** Rows of the live chunks. */
  liveRows: number;
  planChunk: (ref: ChunkRef) => ChunkPlan & { later: readonly Column[] };
}

/** Prunes partitions by their key values and chunks by their statistics, and plans each chunk's reads. */
export function planScan(snapshot: Snapshot, wanted: readonly Column[], predicates: readonly Predicate[], options: Pick<ScanOptions, 'lastBy' | 'rowsOnly'>): ScanPlan {
  const { lastBy, rowsOnly } = options;
  const schema = snapshot.schema;
  const typeOf = new Map(schema.columns.map((c) => [c.name, c.type]));
  const keyIndex = new Map(schema.partitionKey.map((k, i) => [k, i]));
  const stats: ScanStats = {
    dataset: snapshot.dataset, version: snapshot.version, predicates: predicates.map(describePredicate), columns: wanted.map((c) => c.name),
    chunks: snapshot.chunks.size, prunedByPartition: 0, prunedByStats: 0, countedFromStats: 0, chunksRead: 0, rowsRead: 0, rowsSelected: 0, readMs: 0, filterMs: 0, chunksDeferredSkipped: 0, workers: 0, workerTask: null,
  };
  const live: ChunkRef[] = [];
  const { candidates, skipped } = keyCandidates(snapshot, predicates, typeOf);
  stats.prunedByPartition += skipped;
  for (const ref of candidates) {
    // A mixed chunk has no one key: only its column statistics can prune it.
    if (!ref.mixed && predicates.some((p) => keyIndex.has(p.column) && !matchesKey(p, ref.key[keyIndex.get(p.column)!] ?? null))) { stats.prunedByPartition++; continue; }
    if (predicates.some((p) => !mayMatchChunk(p, ref, typeOf.get(p.column)!))) { stats.prunedByStats++; continue; }
    live.push(ref);
  }
  const counted: ScanChunk[] = [];
  if (rowsOnly) {
    for (let i = live.length - 1; i >= 0; i--) {
      const ref = live[i]!;
      if (!predicates.every((p) => coversChunk(p, ref, typeOf.get(p.column)!))) continue;
      counted.push({ rows: ref.rows, columns: new Map(), selection: null });
      stats.countedFromStats++;
      stats.rowsSelected += ref.rows;
      live.splice(i, 1);
    }
  }
  if (lastBy && predicates.length === 0) {
    const kept = lastPointChunks(live, lastBy);
    stats.prunedByStats += live.length - kept.length;
    live.splice(0, live.length, ...kept);
  }
  // Filter columns (and the last-point column) are read even when the select list does not name them.
  const filterCols = schema.columns.filter((c) => (predicates.some((p) => p.column === c.name) || c.name === lastBy) && !wanted.some((w) => w.name === c.name));
  const toRead = [...wanted, ...filterCols];
  // A value filter (not on the partition or sort key) that statistics cannot decide may keep no row
  // of a chunk: its columns are read first, and the others (when they are many more) only for survivors.
  const sortColumn = schema.sortKey[0];
  // A chunk of one partition passed its string key predicates exactly when it was not pruned:
  // they are not applied to its rows, and their columns are read only if the query names them.
  const keyPredicate = (p: Predicate): boolean => keyIndex.has(p.column) && typeOf.get(p.column) === 'string';
  const partitionPredicates = predicates.filter((p) => !keyPredicate(p));
  const partitionRead = toRead.filter((c) => !filterCols.includes(c) || c.name === lastBy || partitionPredicates.some((p) => p.column === c.name));
  const valueFilters = predicates.filter((p) => !keyIndex.has(p.column) && !schema.sortKey.includes(p.column));
  /** What a chunk reads and filters: its columns, its row predicates, and those read only if a row survives. */
  const chunkPlan = (read: Column[], rowPredicates: Predicate[]): ChunkPlan => {
    const first = read.filter((c) => rowPredicates.some((p) => p.column === c.name));
    const rest = read.filter((c) => !first.includes(c));
    return { read, rowPredicates, first, rest, deferrable: valueFilters.length > 0 && rest.length >= 2 * first.length };
  };
  const mixedPlan = chunkPlan(toRead, [...predicates]);
  const partitionPlan = chunkPlan(partitionRead, partitionPredicates);
  const planChunk = (ref: ChunkRef): ChunkPlan & { later: readonly Column[] } => {
    const plan = ref.mixed ? mixedPlan : partitionPlan;
    const defer = plan.deferrable && !valueFilters.every((p) => coversChunk(p, ref, typeOf.get(p.column)!));
    return { ...plan, later: defer ? plan.rest : [] };
  };
  let liveRows = 0;
  for (const ref of live) liveRows += ref.rows;
  return { stats, live, counted, filterCols, sortColumn, liveRows, planChunk };
}

/** Reads, decodes and filters the chunks a scan needs (`plan`: planScan's, when the caller made it already). */
export async function scanSnapshot(reader: ChunkReader, snapshot: Snapshot, wanted: readonly Column[], predicates: readonly Predicate[], options: ScanOptions, plan?: ScanPlan): Promise<{ chunks: ScanChunk[]; stats: ScanStats }> {
  const { readsInFlightMax, workers, lastBy } = options;
  const { stats, live, counted, filterCols, sortColumn, liveRows, planChunk } = plan ?? planScan(snapshot, wanted, predicates, options);
  const pool = workers && liveRows >= workers.rowsMin && wanted.length + filterCols.length > 0 ? workers.pool() : undefined;
  stats.workers = pool ? pool.size : 0;
  stats.workerTask = pool ? 'decode' : null;
  const out: (ScanChunk | null)[] = new Array(live.length).fill(null);
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < live.length) {
      const i = next++;
      const ref = live[i]!;
      const t0 = performance.now();
      const { read, rowPredicates, first, later } = planChunk(ref);
      const columns = await reader.readColumns(snapshot.dataset, ref, later.length > 0 ? first : read, pool);
      const t1 = performance.now();
      stats.readMs += t1 - t0;
      stats.chunksRead++;
      stats.rowsRead += ref.rows;
      let selection: Uint32Array | null = null;
      if (rowPredicates.length > 0) {
        const chosen = selectChunkRows(ref, columns, rowPredicates, sortColumn);
        selection = chosen.selection;
        stats.filterMs += performance.now() - t1;
        if (chosen.kept === 0) { if (later.length > 0) stats.chunksDeferredSkipped++; continue; }
      }
      if (later.length > 0) {
        const t2 = performance.now();
        for (const [name, values] of await reader.readColumns(snapshot.dataset, ref, later, pool)) columns.set(name, values);
        stats.readMs += performance.now() - t2;
      }
      const rows = selection ? selection.length : ref.rows;
      out[i] = { rows, columns, selection };
    }
  };
  await Promise.all(Array.from({ length: Math.min(readsInFlightMax, live.length) }, work));
  if (lastBy) keepLastPoints(live, out, lastBy);
  for (const c of out) {
    if (!c) continue;
    for (const f of filterCols) c.columns.delete(f.name);
    stats.rowsSelected += c.rows;
  }
  return { chunks: [...counted, ...out.filter((c): c is ScanChunk => c !== null)], stats };
}
