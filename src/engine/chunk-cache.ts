/**
 * Decoded chunk columns kept in memory, bounded in bytes, least recently
 * used first out. Chunks never change once written (a chunk's id hashes its
 * content), so an entry keyed by (dataset, chunk id, column) can never be
 * stale. The main thread has one (chunk-reader.ts) and so does each scan
 * worker (aggregate-worker.ts).
 */
import type { ChunkRef } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import { allNullColumn, columnBytes } from '../chunk/column.js';
import type { Column } from '../schema/schema.js';

const keyOf = (dataset: string, chunk: string, column: string): string => `${dataset}/${chunk}/${column}`;

export class ChunkCache {
  private readonly entries = new Map<string, { value: ColumnValues; bytes: number }>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly bytesMax: number) {}

  get(dataset: string, chunk: string, column: string): ColumnValues | undefined {
    const key = keyOf(dataset, chunk, column);
    const e = this.entries.get(key);
    if (!e) { this.misses++; return undefined; }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(dataset: string, chunk: string, column: string, value: ColumnValues): void {
    const key = keyOf(dataset, chunk, column);
    const bytes = columnBytes(value);
    if (bytes > this.bytesMax) return;
    const old = this.entries.get(key);
    if (old) { this.bytes -= old.bytes; this.entries.delete(key); }
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.bytesMax) break;
      this.entries.delete(k);
      this.bytes -= e.bytes;
    }
  }

  /**
   * The columns of a chunk that are cached go into `into` (and a column the
   * chunk predates reads as all NULL); those neither there already nor
   * cached come back, to be read.
   */
  lookup(dataset: string, ref: Pick<ChunkRef, 'id' | 'rows' | 'columns'>, columns: readonly Column[], into: Map<string, ColumnValues>): Column[] {
    const missing: Column[] = [];
    for (const c of columns) {
      if (into.has(c.name)) continue;
      if (!(c.name in ref.columns)) { into.set(c.name, allNullColumn(c.type, ref.rows)); continue; }
      const hit = this.get(dataset, ref.id, c.name);
      if (hit) into.set(c.name, hit); else missing.push(c);
    }
    return missing;
  }

  get size(): number { return this.bytes; }
}
