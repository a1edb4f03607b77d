/**
 * Deletion vectors. A delete does not rewrite a chunk: it commits a masked
 * ref of it, whose bitmap (bit i set: stored row i is deleted, LSB first)
 * sits in a segment the delete wrote. Readers decode the stored rows and
 * keep the unmasked ones, so everything above the decoder sees a chunk of
 * `rows` rows. Compaction later writes the kept rows out and the mask goes.
 */
import { StrataError } from '../core/errors.js';
import type { ChunkRef } from './chunk.js';
import { checksum } from './chunk.js';

/** Rows a chunk stores (a masked ref shows fewer). */
export function storedRows(ref: Pick<ChunkRef, 'rows' | 'mask'>): number {
  return ref.mask ? ref.mask.stored : ref.rows;
}

/** The chunk a ref shows rows of. */
export function baseOf(ref: Pick<ChunkRef, 'id' | 'base'>): string {
  return ref.base ?? ref.id;
}

export function isMasked(bits: Uint8Array, i: number): boolean {
  return ((bits[i >>> 3]! >>> (i & 7)) & 1) === 1;
}

/** A bitmap of `stored` rows with the given rows set. */
export function maskOf(rows: Iterable<number>, stored: number): Uint8Array {
  const bits = new Uint8Array(Math.ceil(stored / 8));
  for (const i of rows) bits[i >>> 3]! |= 1 << (i & 7);
  return bits;
}

/** The stored rows a mask keeps, in order. */
export function keptRows(bits: Uint8Array, stored: number): Uint32Array {
  const out = new Uint32Array(stored);
  let n = 0;
  for (let i = 0; i < stored; i++) if (!isMasked(bits, i)) out[n++] = i;
  return out.subarray(0, n);
}

/** The mask's bitmap as read from its segment, checked against the ref. */
export function checkedMask(dataset: string, ref: ChunkRef, bytes: Uint8Array | undefined): Uint8Array {
  const m = ref.mask!;
  const where = `${dataset} chunk ${ref.id} deletion mask`;
  if (!bytes) throw new StrataError('STRATA_ERR_CHUNK_MISSING', `${where} is missing from the store`, { dataset, chunk: ref.id });
  if (bytes.byteLength !== m.bytes || checksum(bytes) !== m.crc || m.bytes !== Math.ceil(m.stored / 8)) {
    throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `${where} failed its checksum`, { dataset, chunk: ref.id });
  }
  return bytes;
}
