/**
 * Decoding one chunk's stored columns: size and CRC-32 against the version
 * record, Arrow IPC + LZ4 decode, row count. Shared by the main thread and
 * the scan workers, so both check exactly the same things.
 */
import type { ChunkRef } from '../chunk/chunk.js';
import { checksum } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import { decodeColumn } from '../chunk/codec.js';
import { takeRows } from '../chunk/column.js';
import { checkedMask, keptRows } from '../chunk/mask.js';
import { StrataError } from '../core/errors.js';
import type { Column } from '../schema/schema.js';

/** `mask`: the bitmap of a masked ref, fetched after its columns (see ChunkReader.fetch). */
export function decodeStored(dataset: string, ref: ChunkRef, column: Column, blob: Uint8Array | undefined, mask?: Uint8Array): ColumnValues {
  const where = `${dataset} chunk ${ref.id} column ${column.name}`;
  if (!blob) throw new StrataError('STRATA_ERR_CHUNK_MISSING', `${where} is missing from the store`, { dataset, column: column.name, chunk: ref.id });
  const meta = ref.columns[column.name]!;
  if (blob.byteLength !== meta.bytes || checksum(blob) !== meta.crc) {
    throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `${where} failed its checksum (${blob.byteLength} bytes, expected ${meta.bytes})`, { dataset, column: column.name, chunk: ref.id });
  }
  if (!ref.mask) return decodeColumn(blob, column.type, ref.rows, where);
  const stored = ref.mask.stored;
  return takeRows(decodeColumn(blob, column.type, stored, where), keptRows(checkedMask(dataset, ref, mask), stored));
}
