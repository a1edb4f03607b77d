/**
 * Decoded chunk columns kept in memory, bounded in bytes, least recently
 * used first out. Chunks never change once written, so an entry keyed by
 * (dataset, chunk id, column) can never be stale.
 */
import type { ColumnValues } from '../chunk/column.js';
import { columnBytes } from '../chunk/column.js';

export class ChunkCache {
  private readonly entries = new Map<string, { value: ColumnValues; bytes: number }>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly bytesMax: number) {}

  get(key: string): ColumnValues | undefined {
    const e = this.entries.get(key);
    if (!e) { this.misses++; return undefined; }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: ColumnValues): void {
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

  get size(): number { return this.bytes; }
}
