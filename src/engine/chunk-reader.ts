/**
 * Reads the columns of committed chunks: fetch from the store, check size
 * and CRC-32 against the version record, decode, check row count, cache.
 * A column the chunk predates (added later) reads as all NULL. With a worker
 * pool, checking and decoding happen off the main thread.
 */
import type { ChunkRef } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import { allNullColumn } from '../chunk/column.js';
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

  async readColumns(dataset: string, ref: ChunkRef, columns: readonly Column[], pool?: WorkerPool): Promise<Map<string, ColumnValues>> {
    const out = new Map<string, ColumnValues>();
    const missing: Column[] = [];
    for (const c of columns) {
      if (!(c.name in ref.columns)) { out.set(c.name, allNullColumn(c.type, ref.rows)); continue; }
      const hit = this.cache.get(`${dataset}/${ref.id}/${c.name}`);
      if (hit) out.set(c.name, hit); else missing.push(c);
    }
    if (missing.length === 0) return out;
    const addr = { dataset, partition: ref.partition, chunk: ref.id, ...(ref.bucket !== undefined ? { bucket: ref.bucket } : {}) };
    const blobs = await this.store.getChunkColumns(addr, missing.map((c) => c.name));
    const stored = missing.map((c) => blobs.get(c.name));
    const decoded = pool ? await pool.decode(dataset, ref, missing, stored) : missing.map((c, i) => decodeStored(dataset, ref, c, stored[i]));
    missing.forEach((c, i) => {
      this.cache.set(`${dataset}/${ref.id}/${c.name}`, decoded[i]!);
      out.set(c.name, decoded[i]!);
    });
    return out;
  }
}
