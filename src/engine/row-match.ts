/**
 * Which rows of each chunk pass a conjunction of engine predicates, one
 * flag per row the chunk shows: the exact rows a delete takes when its
 * whole predicate is something the engine evaluates itself. Chunks that
 * statistics rule out are never read; chunks they show fully matching are
 * not read either.
 */
import type { ChunkRef } from '../chunk/chunk.js';
import type { Snapshot } from '../versions/snapshot.js';
import type { ChunkReader } from './chunk-reader.js';
import type { Predicate } from './predicate.js';
import { coversChunk, filterRows, mayMatchChunk } from './predicate.js';

export async function matchChunkRows(reader: ChunkReader, snapshot: Snapshot, predicates: readonly Predicate[], chunks: Iterable<ChunkRef> = snapshot.chunks.values()): Promise<Map<string, Uint8Array>> {
  const typeOf = new Map(snapshot.schema.columns.map((c) => [c.name, c.type]));
  const out = new Map<string, Uint8Array>();
  const read = snapshot.schema.columns.filter((c) => predicates.some((p) => p.column === c.name));
  for (const ref of chunks) {
    if (predicates.some((p) => !mayMatchChunk(p, ref, typeOf.get(p.column)!))) continue;
    const flags = new Uint8Array(ref.rows).fill(1);
    if (!predicates.every((p) => coversChunk(p, ref, typeOf.get(p.column)!))) {
      // Decoded without filling the cache: a delete reads chunks once.
      const columns = await reader.readColumns(snapshot.dataset, ref, read, undefined, false);
      for (const p of predicates) filterRows(p, columns.get(p.column)!, flags);
    }
    if (flags.includes(1)) out.set(ref.id, flags);
  }
  return out;
}
