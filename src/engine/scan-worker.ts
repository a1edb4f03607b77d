/**
 * A scan worker: decodes chunk columns off the main thread (checksum,
 * Arrow IPC, LZ4) and sends the typed arrays back without copying them again;
 * and runs its share of an engine aggregate (aggregate-worker.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ChunkRef } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import { isStrataError } from '../core/errors.js';
import type { Column } from '../schema/schema.js';
import { decodeStored } from './decode.js';
import { AggregateWorker } from './aggregate-worker.js';
import type { AggregateMessage } from './aggregate-worker.js';

export interface DecodeTask { kind: 'decode'; id: number; dataset: string; ref: ChunkRef; columns: Column[]; blobs: (Uint8Array | undefined)[] }
export type DecodeReply = { id: number; columns: ColumnValues[] } | { id: number; error: { code?: string; message: string; details?: unknown } };

/** A typed array that owns its whole buffer, so the buffer can be transferred. */
function owned<T extends ArrayBufferView>(a: T): T {
  if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) return a;
  return (a as unknown as { slice(): T }).slice();
}

function transferables(c: ColumnValues): ArrayBuffer[] {
  const out = [c.type === 'string' ? c.codes.buffer : c.values.buffer];
  if (c.valid) out.push(c.valid.buffer);
  return out as ArrayBuffer[];
}

/** What the pool tells a worker when it starts it. */
export interface ScanWorkerData { cacheBytesMax: number }

const aggregates = new AggregateWorker((workerData as ScanWorkerData | null)?.cacheBytesMax ?? 0);

function replyError(id: number, e: unknown): void {
  const err = e as Error;
  parentPort!.postMessage({ id, error: { code: isStrataError(e) ? e.code : undefined, message: err.message, details: isStrataError(e) ? e.details : undefined } });
}

parentPort?.on('message', (task: DecodeTask | AggregateMessage) => {
  if (task.kind !== 'decode') {
    try {
      const reply = aggregates.handle(task);
      if (reply) parentPort!.postMessage(reply);
    } catch (e) {
      replyError(task.id, e);
    }
    return;
  }
  try {
    const columns = task.columns.map((col, i) => {
      const v = decodeStored(task.dataset, task.ref, col, task.blobs[i], task.blobs[task.columns.length]);
      const valid = v.valid ? owned(v.valid) : null;
      return v.type === 'string' ? { ...v, codes: owned(v.codes), valid } : { ...v, values: owned(v.values), valid } as ColumnValues;
    });
    parentPort!.postMessage({ id: task.id, columns } satisfies DecodeReply, columns.flatMap(transferables));
  } catch (e) {
    replyError(task.id, e);
  }
});
