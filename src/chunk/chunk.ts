/**
 * Cutting a validated batch into chunks: split rows by partition key, sort
 * each partition by the sort key (stable, NULLs last like DuckDB's ASC),
 * cut runs of at most chunkRows, dictionary-encode strings per chunk, encode
 * every column on its own, and name the chunk by its content.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { DatasetSchema } from '../schema/schema.js';
import type { Batch, BatchColumn } from './batch.js';
import type { ColumnValues } from './column.js';
import { bitmapFromNullFlags, nullCount } from './column.js';
import { encodeColumn } from './codec.js';
import type { ColumnStats } from './stats.js';
import { columnStats } from './stats.js';
import type { RowIds } from './row-ids.js';
import { encodeRuns, idRuns, takeIds } from './row-ids.js';

export type KeyValue = string | number | boolean | null;

export interface ColumnMeta extends ColumnStats {
  /** Stored (compressed) size of the column's Arrow IPC message. */
  bytes: number;
  /** Where the message starts in the chunk's segment (absent for a chunk stored on its own). */
  offset?: number;
  /** CRC-32 of the stored bytes, checked on every read. */
  crc: number;
}

/** What a version record says about one chunk; enough to prune without reading it. */
export interface ChunkRef {
  id: string;
  /** Partition id: a hash of the partition key values, safe as a file or row key. */
  partition: string;
  /** The partition key values (timestamps as ms, int64 as decimal strings). */
  key: KeyValue[];
  rows: number;
  /** Storage bucket the chunk was written to (see ChunkAddress.bucket), for a chunk stored on its own. */
  bucket?: number;
  /** The segment (store object) holding the chunk's columns; absent for a chunk stored on its own. */
  segment?: string;
  /**
   * A mixed chunk holds the rows of several partitions (a commit's small
   * partitions, written together until compaction sorts them into their
   * own chunks), sorted by partition key then sort key; `partition` is
   * `mixed` and `key` empty, so only column statistics can prune it.
   */
  mixed?: true;
  /** The columns holding at least one value; any other column of the schema reads as NULL. */
  columns: Record<string, ColumnMeta>;
  /**
   * A deletion vector: the stored rows this ref hides (see mask.ts). `rows`
   * counts the rows it shows; column `nulls` count them too, min and max
   * still bound the stored rows, and every stored column stays listed.
   */
  mask?: StoredMask;
  /** The chunk whose stored rows a masked ref shows (its own id when absent). */
  base?: string;
  /**
   * Row identity (see row-ids.ts): stored row i is row `first + i` of the
   * version `origin` that appended it; a chunk compaction wrote from
   * several runs keeps them in `idRuns`, in its segment.
   */
  origin?: number;
  first?: number;
  idRuns?: { offset: number; bytes: number; crc: number };
}

/** Where a mask's bitmap is stored, and how many stored rows it covers. */
export interface StoredMask {
  segment: string;
  offset: number;
  bytes: number;
  crc: number;
  stored: number;
  /** NULLs per column over all stored rows (the unmasked chunk's counts), so any later mask's counts can be made exact. */
  nulls: Record<string, number>;
}

export interface EncodedChunk {
  ref: ChunkRef;
  blobs: Map<string, Uint8Array>;
  /** Hash of the chunk's content alone (no salt), for batch digests. */
  contentHash: string;
  /** The stored columns as a reader decodes them (a cache may keep them once the chunk is committed). */
  values: Map<string, ColumnValues>;
  /** Row identity runs, when the rows come from more than one run (written after the columns). */
  idRuns?: Uint8Array;
}

export function checksum(bytes: Uint8Array): number {
  return crc32(bytes) >>> 0;
}

function keyValue(col: BatchColumn, row: number): KeyValue {
  if (col.isNull[row] === 1) return null;
  const v = col.values[row]!;
  return typeof v === 'bigint' ? v.toString() : col.type === 'bool' ? v === 1 : (v as string | number);
}

export function partitionId(key: readonly KeyValue[]): string {
  return createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
}

/** Groups row numbers by partition key, in order of first appearance. */
function splitByPartition(batch: Batch, schema: DatasetSchema): { key: KeyValue[]; rows: number[] }[] {
  const keyCols = schema.partitionKey.map((k) => batch.columns.get(k)!);
  const all = { key: [] as KeyValue[], rows: [] as number[] };
  if (keyCols.length === 0) {
    for (let r = 0; r < batch.rows; r++) all.rows.push(r);
    return batch.rows > 0 ? [all] : [];
  }
  const groups = new Map<string, { key: KeyValue[]; rows: number[] }>();
  for (let r = 0; r < batch.rows; r++) {
    const key = keyCols.map((c) => keyValue(c, r));
    const k = keyCols.length === 1 && typeof key[0] === 'string' ? `s:${key[0]}` : JSON.stringify(key);
    let g = groups.get(k);
    if (!g) { g = { key, rows: [] }; groups.set(k, g); }
    g.rows.push(r);
  }
  return [...groups.values()];
}

function compareRows(cols: BatchColumn[], a: number, b: number): number {
  for (const c of cols) {
    const an = c.isNull[a] === 1; const bn = c.isNull[b] === 1;
    if (an || bn) {
      if (an && bn) continue;
      return an ? 1 : -1;
    }
    const x = c.values[a]!; const y = c.values[b]!;
    if (x < y) return -1;
    if (x > y) return 1;
    // NaN compares neither way: DuckDB sorts it above every number.
    if (x !== y) { const xn = x !== x; const yn = y !== y; if (xn !== yn) return xn ? 1 : -1; }
  }
  return a - b;
}

function sortRows(rows: number[], sortCols: BatchColumn[]): number[] {
  if (sortCols.length === 0) return rows;
  let sorted = true;
  for (let i = 1; i < rows.length; i++) if (compareRows(sortCols, rows[i - 1]!, rows[i]!) > 0) { sorted = false; break; }
  return sorted ? rows : rows.slice().sort((a, b) => compareRows(sortCols, a, b));
}

/** Copies the given rows of a batch column into a chunk column. */
export function gather(col: BatchColumn, rows: ArrayLike<number>): ColumnValues {
  const n = rows.length;
  const isNull = new Uint8Array(n);
  for (let i = 0; i < n; i++) isNull[i] = col.isNull[rows[i]!]!;
  const valid = bitmapFromNullFlags(isNull, n);
  switch (col.type) {
    case 'float64': case 'timestamp': {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = col.values[rows[i]!]!;
      return { type: col.type, length: n, values, valid };
    }
    case 'int32': {
      const values = new Int32Array(n);
      for (let i = 0; i < n; i++) values[i] = col.values[rows[i]!]!;
      return { type: col.type, length: n, values, valid };
    }
    case 'int64': {
      const values = new BigInt64Array(n);
      for (let i = 0; i < n; i++) values[i] = col.values[rows[i]!]!;
      return { type: col.type, length: n, values, valid };
    }
    case 'bool': {
      const values = new Uint8Array(n);
      for (let i = 0; i < n; i++) values[i] = col.values[rows[i]!]!;
      return { type: col.type, length: n, values, valid };
    }
    case 'string': {
      const codes = new Int32Array(n);
      const dict: string[] = [];
      const index = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const s = col.values[rows[i]!];
        if (s === null || s === undefined) continue;
        let code = index.get(s);
        if (code === undefined) { code = dict.length; dict.push(s); index.set(s, code); }
        codes[i] = code;
      }
      return { type: 'string', length: n, codes, dict, valid };
    }
  }
}

export function encodeChunk(columns: ReadonlyMap<string, ColumnValues>, partition: string, key: KeyValue[], salt: string, statsStringBytesMax: number): EncodedChunk {
  const blobs = new Map<string, Uint8Array>();
  const stored = new Map<string, ColumnValues>();
  const metas: Record<string, ColumnMeta> = {};
  const content = createHash('sha256').update(partition);
  let rows = -1;
  for (const [name, values] of columns) {
    if (rows === -1) rows = values.length;
    // A column with no value in this chunk is not stored: readers see a missing column as all NULL,
    // and the content (so a retry's digest) does not change when a column is added to the schema.
    if (values.valid !== null && nullCount(values.valid, values.length) === values.length) continue;
    const blob = encodeColumn(name, values);
    blobs.set(name, blob);
    stored.set(name, values);
    metas[name] = { bytes: blob.byteLength, crc: checksum(blob), ...columnStats(values, statsStringBytesMax) };
    content.update(`\0${name}\0`).update(blob);
  }
  const contentHash = content.digest('hex');
  const id = createHash('sha256').update(`${salt}\0${contentHash}`).digest('hex').slice(0, 32);
  return { ref: { id, partition, key, rows: Math.max(rows, 0), columns: metas }, blobs, contentHash, values: stored };
}

export const mixedPartition = 'mixed';

/** The partition ids a batch's rows belong to. */
export function partitionsOf(batch: Batch, schema: DatasetSchema): Set<string> {
  return new Set(splitByPartition(batch, schema).map((g) => partitionId(g.key)));
}

export interface ChunkingOptions {
  /** Salt for chunk ids: ids differ between commits that hold equal rows. */
  salt: string;
  statsStringBytesMax: number;
  /**
   * Partitions with fewer rows than this go, together, into mixed chunks
   * instead of chunks of their own (0: every partition gets its own).
   */
  mixedBelowRows: number;
  /** The ids of the batch's rows (compaction), carried to the chunks; appends get theirs when they commit. */
  ids?: RowIds;
}

/**
 * The chunks of a commit's rows: each partition with at least
 * `mixedBelowRows` rows sorted by the sort key and cut into chunks of at most
 * chunkRows; the rows of the other partitions sorted by partition key, then
 * sort key, and cut into mixed chunks.
 */
export function cutChunks(batch: Batch, schema: DatasetSchema, options: ChunkingOptions): EncodedChunk[] {
  return [...chunkPieces(batch, schema, options)];
}

/** cutChunks one chunk at a time, so a long job can give the event loop a turn between chunks. */
export function* chunkPieces(batch: Batch, schema: DatasetSchema, options: ChunkingOptions): Generator<EncodedChunk> {
  const sortCols = schema.sortKey.map((k) => batch.columns.get(k)!);
  let n = 0;
  function* emit(rows: number[], pid: string, key: KeyValue[], mixed: boolean): Generator<EncodedChunk> {
    for (let start = 0; start < rows.length; start += schema.chunkRows) {
      const slice = rows.slice(start, start + schema.chunkRows);
      const cols = new Map<string, ColumnValues>();
      for (const c of schema.columns) cols.set(c.name, gather(batch.columns.get(c.name)!, slice));
      // The position keeps two chunks of equal content in one commit apart.
      const chunk = encodeChunk(cols, pid, key, `${options.salt}\0${n++}`, options.statsStringBytesMax);
      if (mixed) chunk.ref.mixed = true;
      if (options.ids) {
        const runs = idRuns(takeIds(options.ids, slice));
        if (runs.length === 3) { chunk.ref.origin = runs[0]!; chunk.ref.first = runs[1]!; } else chunk.idRuns = encodeRuns(runs);
      }
      yield chunk;
    }
  }
  const small: number[] = [];
  for (const group of splitByPartition(batch, schema)) {
    if (group.rows.length < options.mixedBelowRows && schema.partitionKey.length > 0) { for (const r of group.rows) small.push(r); continue; }
    yield* emit(sortRows(group.rows, sortCols), partitionId(group.key), group.key, false);
  }
  if (small.length > 0) {
    const keyCols = schema.partitionKey.map((k) => batch.columns.get(k)!);
    yield* emit(sortRows(small, [...keyCols, ...sortCols]), mixedPartition, [], true);
  }
}

/**
 * Digest of a batch's content, to tell a true retry from a different batch
 * under the same seq. It covers the rows and every column holding at least
 * one value (a column added to the schema since the first send, all NULL,
 * does not change it), and not how the rows are later cut into chunks.
 */
export function batchDigest(batch: Batch): string {
  const h = createHash('sha256').update(`${batch.rows}`);
  for (const name of [...batch.columns.keys()].sort()) {
    const c = batch.columns.get(name)!;
    if (c.isNull.every((n) => n === 1)) continue;
    h.update(`\0${name}\0${c.type}\0`).update(c.isNull);
    if (c.type === 'string') { for (let i = 0; i < batch.rows; i++) h.update(`${c.values[i]?.length ?? -1}:${c.values[i] ?? ''}`); }
    else h.update(new Uint8Array(c.values.buffer, c.values.byteOffset, c.values.byteLength));
  }
  return h.digest('hex').slice(0, 32);
}
