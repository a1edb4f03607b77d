/**
 * Segments: the chunk columns of one commit (every batch, partition and
 * column of a group commit, or everything a compaction wrote) concatenated
 * into store objects of at most segmentBytesMax, each written with one put
 * (locally: one file, one fsync) before the version record that refers to
 * them. A chunk's record says which segment holds it and where each column
 * starts, so a query reads only the byte ranges it needs.
 */
import { randomBytes } from 'node:crypto';
import type { ChunkRef, EncodedChunk } from '../chunk/chunk.js';
import { checksum } from '../chunk/chunk.js';
import type { Store } from '../storage/store.js';

/** 12 hex digits of the time it was made (ms), then 20 random: unique, and sortable by age. */
export function segmentName(now = Date.now()): string {
  return `${now.toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
}

/** When a segment was made, from its name. */
export function segmentTime(name: string): number {
  return parseInt(name.slice(0, 12), 16);
}

/**
 * Writes the chunks into segments and returns their refs, each pointing at
 * its segment and column offsets. Nothing is written for no chunks.
 */
export async function writeSegments(store: Store, dataset: string, chunks: readonly EncodedChunk[], segmentBytesMax: number): Promise<ChunkRef[]> {
  const refs: ChunkRef[] = [];
  const segments: { name: string; parts: Uint8Array[]; bytes: number }[] = [];
  let current: (typeof segments)[number] | null = null;
  for (const c of chunks) {
    let size = 0;
    for (const b of c.blobs.values()) size += b.byteLength;
    if (c.idRuns) size += c.idRuns.byteLength;
    if (!current || (current.bytes > 0 && current.bytes + size > segmentBytesMax)) {
      current = { name: segmentName(), parts: [], bytes: 0 };
      segments.push(current);
    }
    const columns: ChunkRef['columns'] = {};
    for (const [name, meta] of Object.entries(c.ref.columns)) {
      const blob = c.blobs.get(name)!;
      columns[name] = { ...meta, offset: current.bytes };
      current.parts.push(blob);
      current.bytes += blob.byteLength;
    }
    const { bucket: _bucket, ...ref } = c.ref;
    if (c.idRuns) {
      ref.idRuns = { offset: current.bytes, bytes: c.idRuns.byteLength, crc: checksum(c.idRuns) };
      current.parts.push(c.idRuns);
      current.bytes += c.idRuns.byteLength;
    }
    refs.push({ ...ref, columns, segment: current.name });
  }
  await Promise.all(segments.map((s) => store.putObject(dataset, 'segment', s.name, Buffer.concat(s.parts))));
  return refs;
}
