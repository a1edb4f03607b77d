/**
 * A pool of scan workers (worker_threads), started on first use. Chunks are
 * handed to the least busy worker; blobs go in and typed arrays come back as
 * transferred buffers (no copy). One worker per core by default.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChunkRef } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import { StrataError } from '../core/errors.js';
import type { ErrorCode, ErrorDetails } from '../core/errors.js';
import type { Column } from '../schema/schema.js';
import type { DecodeReply, DecodeTask } from './scan-worker.js';

/** The compiled worker: beside this file in dist/, or dist/'s copy when running from TypeScript sources (tests). */
function workerFile(): string {
  const here = fileURLToPath(new URL('./scan-worker.js', import.meta.url));
  if (existsSync(here)) return here;
  return here.replace(/([/\\])src([/\\])engine([/\\])scan-worker\.js$/, '$1dist$2engine$3scan-worker.js');
}

interface Slot { worker: Worker; busy: number }

export class WorkerPool {
  private slots: Slot[] = [];
  private readonly pending = new Map<number, { resolve: (c: ColumnValues[]) => void; reject: (e: Error) => void; slot: Slot }>();
  private nextId = 1;

  constructor(readonly size: number) {}

  private start(): void {
    const file = workerFile();
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(file);
      const slot: Slot = { worker, busy: 0 };
      worker.on('message', (reply: DecodeReply) => {
        const p = this.pending.get(reply.id);
        if (!p) return;
        this.pending.delete(reply.id);
        // An idle worker must not keep the process alive; a busy one must.
        if (--p.slot.busy === 0) p.slot.worker.unref();
        if ('error' in reply) p.reject(new StrataError((reply.error.code as ErrorCode | undefined) ?? 'STRATA_ERR_INTERNAL', reply.error.message, (reply.error.details as ErrorDetails | undefined) ?? {}));
        else p.resolve(reply.columns);
      });
      worker.on('error', (e) => {
        for (const [id, p] of this.pending) if (p.slot === slot) { this.pending.delete(id); p.reject(e); }
      });
      worker.unref();
      this.slots.push(slot);
    }
  }

  decode(dataset: string, ref: ChunkRef, columns: Column[], blobs: (Uint8Array | undefined)[]): Promise<ColumnValues[]> {
    if (this.slots.length === 0) this.start();
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    if (slot.busy++ === 0) slot.worker.ref();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      // Blobs may be views into larger buffers (a driver's frame, one read of several columns): give each its
      // own buffer and move it. (A Buffer's slice() is a view, so the copy is made by the constructor.)
      const own = blobs.map((b) => (b && (b.byteOffset !== 0 || b.byteLength !== b.buffer.byteLength) ? new Uint8Array(b) : b));
      const task: DecodeTask = { id, dataset, ref, columns, blobs: own };
      slot.worker.postMessage(task, own.flatMap((b) => (b ? [b.buffer as ArrayBuffer] : [])));
    });
  }

  /** Workers with work in hand. */
  busy(): number {
    return this.slots.filter((s) => s.busy > 0).length;
  }

  async close(): Promise<void> {
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
