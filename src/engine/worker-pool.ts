/**
 * A pool of scan workers (worker_threads), started on first use. Chunks to
 * decode go to the least busy worker; blobs go in and typed arrays come back
 * as transferred buffers (no copy). An engine aggregate instead gives every
 * chunk to the worker its id hashes to, so each worker's cache keeps the
 * same chunks from query to query. One worker per core by default.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChunkRef } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import { StrataError } from '../core/errors.js';
import type { ErrorCode, ErrorDetails } from '../core/errors.js';
import type { Column } from '../schema/schema.js';
import type { AggregateBegin, AggregateDone, AggregateReply, WorkerCacheStats } from './aggregate-worker.js';
import type { Batch } from '../chunk/batch.js';
import type { Limits } from '../core/limits.js';
import type { InputFormat } from '../ingest/parse.js';
import type { DatasetSchema } from '../schema/schema.js';
import type { DecodeReply, DecodeTask, ParseReply, ParseTask, ScanWorkerData } from './scan-worker.js';

/** The compiled worker: beside this file in dist/, or dist/'s copy when running from TypeScript sources (tests). */
function workerFile(): string {
  const here = fileURLToPath(new URL('./scan-worker.js', import.meta.url));
  if (existsSync(here)) return here;
  return here.replace(/([/\\])src([/\\])engine([/\\])scan-worker\.js$/, '$1dist$2engine$3scan-worker.js');
}

interface Slot { worker: Worker; busy: number; cache: WorkerCacheStats }
type Reply = DecodeReply | ParseReply | AggregateReply;
/** Takes a reply; true when it was the last one expected. */
interface Pending { onReply: (reply: Reply) => boolean; reject: (e: Error) => void; slot: Slot }

/**
 * An aggregate session as the caller drives it: the columns the worker
 * lacks; their blobs (for filter columns only, the answer is the other
 * columns the chunk then needs); then the end.
 */
export interface AggregateSession {
  missing: [number, string[], boolean][];
  send(chunk: number, blobs: (Uint8Array | undefined)[], filterOnly: boolean): Promise<string[]>;
  end(): Promise<AggregateDone>;
}

/** Blobs may be views into larger buffers (a driver's frame, one read of several columns): each gets its own buffer to move. */
function ownBuffers(blobs: (Uint8Array | undefined)[]): (Uint8Array | undefined)[] {
  // A Buffer's slice() is a view, so the copy is made by the constructor.
  return blobs.map((b) => (b && (b.byteOffset !== 0 || b.byteLength !== b.buffer.byteLength) ? new Uint8Array(b) : b));
}

const transfer = (blobs: (Uint8Array | undefined)[]): ArrayBuffer[] => blobs.flatMap((b) => (b ? [b.buffer as ArrayBuffer] : []));

export class WorkerPool {
  private slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** `cacheBytesMax`: decoded columns the workers keep for engine aggregates, in all. */
  constructor(readonly size: number, private readonly cacheBytesMax = 0) {}

  private start(): void {
    const file = workerFile();
    const workerData: ScanWorkerData = { cacheBytesMax: Math.floor(this.cacheBytesMax / this.size) };
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(file, { workerData });
      const slot: Slot = { worker, busy: 0, cache: { hits: 0, misses: 0, bytes: 0 } };
      worker.on('message', (reply: Reply) => {
        const p = this.pending.get(reply.id);
        if (!p) return;
        if ('error' in reply) {
          this.finish(reply.id, p);
          p.reject(new StrataError((reply.error.code as ErrorCode | undefined) ?? 'STRATA_ERR_INTERNAL', reply.error.message, (reply.error.details as ErrorDetails | undefined) ?? {}));
          return;
        }
        if (p.onReply(reply)) this.finish(reply.id, p);
      });
      worker.on('error', (e) => {
        for (const [id, p] of this.pending) if (p.slot === slot) { this.finish(id, p); p.reject(e); }
      });
      worker.unref();
      this.slots.push(slot);
    }
  }

  private begin(slot: Slot, onReply: Pending['onReply'], reject: Pending['reject']): number {
    if (slot.busy++ === 0) slot.worker.ref();
    const id = this.nextId++;
    this.pending.set(id, { onReply, reject, slot });
    return id;
  }

  private finish(id: number, p: Pending): void {
    this.pending.delete(id);
    // An idle worker must not keep the process alive; a busy one must.
    if (--p.slot.busy === 0) p.slot.worker.unref();
  }

  decode(dataset: string, ref: ChunkRef, columns: Column[], blobs: (Uint8Array | undefined)[]): Promise<ColumnValues[]> {
    if (this.slots.length === 0) this.start();
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    return new Promise((resolve, reject) => {
      const id = this.begin(slot, (reply) => { resolve((reply as { columns: ColumnValues[] }).columns); return true; }, reject);
      const own = ownBuffers(blobs);
      const task: DecodeTask = { kind: 'decode', id, dataset, ref, columns, blobs: own };
      slot.worker.postMessage(task, transfer(own));
    });
  }

  /** Parses a whole input in the least busy worker (the bytes are moved there, not copied). */
  parse(dataset: string, schema: DatasetSchema, limits: Limits, format: InputFormat, bytes: Uint8Array): Promise<Batch> {
    if (this.slots.length === 0) this.start();
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    return new Promise((resolve, reject) => {
      const id = this.begin(slot, (reply) => {
        const r = reply as ParseReply;
        resolve({ rows: r.rows, columns: new Map(r.columns) });
        return true;
      }, reject);
      const [own] = ownBuffers([bytes]);
      slot.worker.postMessage({ kind: 'parse', id, dataset, schema, limits, format, bytes: own! } satisfies ParseTask, transfer([own]));
    });
  }

  /** The worker a chunk belongs to for aggregates (FNV-1a of its id). */
  workerOf(chunkId: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < chunkId.length; i++) h = Math.imul(h ^ chunkId.charCodeAt(i), 0x01000193);
    return (h >>> 0) % this.size;
  }

  /** Starts worker `index`'s share of an aggregate; resolves once it has said which columns it lacks. */
  aggregate(index: number, task: Omit<AggregateBegin, 'kind' | 'id'>): Promise<AggregateSession> {
    if (this.slots.length === 0) this.start();
    const slot = this.slots[index]!;
    return new Promise((resolveStart, rejectStart) => {
      let resolveEnd: (d: AggregateDone) => void = () => {};
      let rejectEnd: (e: Error) => void = () => {};
      const ended = new Promise<AggregateDone>((res, rej) => { resolveEnd = res; rejectEnd = rej; });
      // Nothing may go unhandled if the caller stops before end(): the rejection is kept for end().
      ended.catch(() => {});
      let started = false;
      const waiting = new Map<number, { resolve: (more: string[]) => void; reject: (e: Error) => void }>();
      const id = this.begin(slot, (reply) => {
        if ('more' in reply) {
          waiting.get(reply.chunk)?.resolve(reply.more);
          waiting.delete(reply.chunk);
          return false;
        }
        if ('missing' in reply) {
          started = true;
          resolveStart({
            missing: reply.missing,
            send: (chunk, blobs, filterOnly) => {
              const own = ownBuffers(blobs);
              const answer = filterOnly ? new Promise<string[]>((resolve, reject) => waiting.set(chunk, { resolve, reject })) : Promise.resolve([]);
              slot.worker.postMessage({ kind: 'agg-blobs', id, chunk, blobs: own }, transfer(own));
              return answer;
            },
            end: () => { slot.worker.postMessage({ kind: 'agg-end', id }); return ended; },
          });
          return false;
        }
        const done = (reply as { done: AggregateDone }).done;
        slot.cache = done.cache;
        resolveEnd(done);
        return true;
      }, (e) => {
        for (const w of waiting.values()) w.reject(e);
        waiting.clear();
        if (started) rejectEnd(e); else rejectStart(e);
      });
      slot.worker.postMessage({ ...task, kind: 'agg', id } satisfies AggregateBegin);
    });
  }

  /** The workers' aggregate caches, as of their last aggregates. */
  cacheStats(): WorkerCacheStats {
    return this.slots.reduce((t, s) => ({ hits: t.hits + s.cache.hits, misses: t.misses + s.cache.misses, bytes: t.bytes + s.cache.bytes }), { hits: 0, misses: 0, bytes: 0 });
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
