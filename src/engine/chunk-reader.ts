/**
 * Reads the columns of committed chunks: fetch from the store (byte ranges
 * of the chunk's segment, or a chunk's own files), check size
 * and CRC-32 against the version record, decode, check row count, cache.
 * A column the chunk predates (added later) reads as all NULL. With a worker
 * pool, checking and decoding happen off the main thread.
 */
import type { ChunkRef } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import { checkedMask, storedRows } from '../chunk/mask.js';
import type { RowIds } from '../chunk/row-ids.js';
import { checkedRuns, decodeRuns, idsOfRun, idsOfRuns } from '../chunk/row-ids.js';
import type { Column } from '../schema/schema.js';
import type { Store } from '../storage/store.js';
import { ChunkCache } from './chunk-cache.js';
import { decodeStored } from './decode.js';
import type { WorkerPool } from './worker-pool.js';

export class ChunkReader {
  readonly cache: ChunkCache;

  constructor(private readonly store: Store, cacheBytesMax: number) {
    this.cache = new ChunkCache(cacheBytesMax);
  }

  /** `keep: false` reads without filling the cache (compaction reads chunks no query will want again). */
  async readColumns(dataset: string, ref: ChunkRef, columns: readonly Column[], pool?: WorkerPool, keep = true): Promise<Map<string, ColumnValues>> {
    const out = new Map<string, ColumnValues>();
    const missing = this.cache.lookup(dataset, ref, columns, out);
    if (missing.length === 0) return out;
    const stored = await this.fetch(dataset, ref, missing);
    const decoded = pool ? await pool.decode(dataset, ref, missing, stored) : missing.map((c, i) => decodeStored(dataset, ref, c, stored[i], stored[missing.length]));
    missing.forEach((c, i) => {
      if (keep) this.cache.set(dataset, ref.id, c.name, decoded[i]!);
      out.set(c.name, decoded[i]!);
    });
    return out;
  }

  /**
   * The stored bytes of some columns of a chunk (undefined where missing):
   * byte ranges of its segment, or its own files. A masked ref's bitmap
   * follows the columns, so the decoder (here or in a worker) gets it too.
   */
  async fetch(dataset: string, ref: ChunkRef, columns: readonly Column[]): Promise<(Uint8Array | undefined)[]> {
    if (ref.mask) {
      const m = ref.mask;
      const [blobs, bits] = await Promise.all([this.fetchColumns(dataset, ref, columns), this.store.readObject(dataset, 'segment', m.segment, [{ offset: m.offset, length: m.bytes }])]);
      return [...blobs, bits?.[0]];
    }
    return this.fetchColumns(dataset, ref, columns);
  }

  /** The ids of a chunk's stored rows; null for a chunk written before rows had ids. */
  async rowIds(dataset: string, ref: ChunkRef): Promise<RowIds | null> {
    const stored = storedRows(ref);
    if (ref.origin !== undefined) return idsOfRun(ref.origin, ref.first ?? 0, stored);
    if (!ref.idRuns || ref.segment === undefined) return null;
    const parts = await this.store.readObject(dataset, 'segment', ref.segment, [{ offset: ref.idRuns.offset, length: ref.idRuns.bytes }]);
    const where = `${dataset} chunk ${ref.id} row ids`;
    return idsOfRuns(decodeRuns(checkedRuns(dataset, ref, parts?.[0]), where), stored, where);
  }

  /** The bitmap of a masked ref (null for an unmasked one). */
  async mask(dataset: string, ref: ChunkRef): Promise<Uint8Array | null> {
    if (!ref.mask) return null;
    const parts = await this.store.readObject(dataset, 'segment', ref.mask.segment, [{ offset: ref.mask.offset, length: ref.mask.bytes }]);
    return checkedMask(dataset, ref, parts?.[0]);
  }

  private async fetchColumns(dataset: string, ref: ChunkRef, columns: readonly Column[]): Promise<(Uint8Array | undefined)[]> {
    if (ref.segment !== undefined) {
      const ranges = columns.map((c) => ({ offset: ref.columns[c.name]!.offset ?? -1, length: ref.columns[c.name]!.bytes }));
      const parts = await this.store.readObject(dataset, 'segment', ref.segment, ranges);
      return columns.map((_, i) => parts?.[i]);
    }
    const addr = { dataset, partition: ref.partition, chunk: ref.id, ...(ref.bucket !== undefined ? { bucket: ref.bucket } : {}) };
    const blobs = await this.store.getChunkColumns(addr, columns.map((c) => c.name));
    return columns.map((c) => blobs.get(c.name));
  }
}
