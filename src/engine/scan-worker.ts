/**
 * A scan worker: decodes chunk columns off the main thread (checksum,
 * Arrow IPC, LZ4) and sends the typed arrays back without copying them again;
 * runs its share of an engine aggregate (aggregate-worker.ts); and parses
 * input batches for a streaming source, so records are parsed while the main
 * thread fetches and stores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ChunkRef } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import type { Batch, BatchColumn } from '../chunk/batch.js';
import { isStrataError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import { parseBatch } from '../ingest/parse.js';
import type { InputFormat } from '../ingest/parse.js';
import type { DatasetSchema } from '../schema/schema.js';
import type { Column } from '../schema/schema.js';
import { decodeStored } from './decode.js';
import { AggregateWorker } from './aggregate-worker.js';
import type { AggregateMessage } from './aggregate-worker.js';

export interface DecodeTask { kind: 'decode'; id: number; dataset: string; ref: ChunkRef; columns: Column[]; blobs: (Uint8Array | undefined)[] }
export type DecodeReply = { id: number; columns: ColumnValues[] } | { id: number; error: { code?: string; message: string; details?: unknown } };
export interface ParseTask { kind: 'parse'; id: number; dataset: string; schema: DatasetSchema; limits: Limits; format: InputFormat; bytes: Uint8Array }
export interface ParseReply { id: number; rows: number; columns: [string, BatchColumn][] }

async function parse(task: ParseTask): Promise<void> {
  try {
    const batch: Batch = await parseBatch(task.bytes, task.format, { dataset: task.dataset, schema: task.schema, limits: task.limits });
    const columns = [...batch.columns].map(([name, c]): [string, BatchColumn] => [name, c.type === 'string' ? { ...c, isNull: owned(c.isNull) } : { ...c, values: owned(c.values), isNull: owned(c.isNull) } as BatchColumn]);
    const moved = columns.flatMap(([, c]) => (c.type === 'string' ? [c.isNull.buffer] : [c.values.buffer, c.isNull.buffer])) as ArrayBuffer[];
    parentPort!.postMessage({ id: task.id, rows: batch.rows, columns } satisfies ParseReply, moved);
  } catch (e) {
    replyError(task.id, e);
  }
}

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

parentPort?.on('message', (task: DecodeTask | ParseTask | AggregateMessage) => {
  if (task.kind === 'parse') { void parse(task); return; }
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
