/**
 * Reads the columns of committed chunks: fetch from the store, check size
 * and CRC-32 against the version record, decode, check row count, cache.
 * A column the chunk predates (added later) reads as all NULL.
 */
import type { ChunkRef } from '../chunk/chunk.js';
import { checksum } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import { allNullColumn } from '../chunk/column.js';
import { decodeColumn } from '../chunk/codec.js';
import { StrataError } from '../core/errors.js';
import type { Column } from '../schema/schema.js';
import type { Store } from '../storage/store.js';
import { ChunkCache } from './chunk-cache.js';

export class ChunkReader {
  readonly cache: ChunkCache;

  constructor(private readonly store: Store, cacheBytesMax: number) {
    this.cache = new ChunkCache(cacheBytesMax);
  }

  async readColumns(dataset: string, ref: ChunkRef, columns: readonly Column[]): Promise<Map<string, ColumnValues>> {
    const out = new Map<string, ColumnValues>();
    const missing: Column[] = [];
    for (const c of columns) {
      if (!(c.name in ref.columns)) { out.set(c.name, allNullColumn(c.type, ref.rows)); continue; }
      const hit = this.cache.get(`${dataset}/${ref.id}/${c.name}`);
      if (hit) out.set(c.name, hit); else missing.push(c);
    }
    if (missing.length === 0) return out;
    const blobs = await this.store.getChunkColumns({ dataset, partition: ref.partition, chunk: ref.id, ...(ref.bucket !== undefined ? { bucket: ref.bucket } : {}) }, missing.map((c) => c.name));
    for (const c of missing) {
      const where = `${dataset} chunk ${ref.id} column ${c.name}`;
      const blob = blobs.get(c.name);
      if (!blob) throw new StrataError('STRATA_ERR_CHUNK_MISSING', `${where} is missing from the store`, { dataset, column: c.name, chunk: ref.id });
      const meta = ref.columns[c.name]!;
      if (blob.byteLength !== meta.bytes || checksum(blob) !== meta.crc) {
        throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `${where} failed its checksum (${blob.byteLength} bytes, expected ${meta.bytes})`, { dataset, column: c.name, chunk: ref.id });
      }
      const values = decodeColumn(blob, c.type, ref.rows, where);
      this.cache.set(`${dataset}/${ref.id}/${c.name}`, values);
      out.set(c.name, values);
    }
    return out;
  }
}
