/**
 * Checkpoints: a snapshot written whole as a store object (kind
 * `checkpoint`, named by its version), so opening a dataset reads the newest
 * checkpoint and only the records after it instead of folding every record
 * from version 0. A checkpoint carries a SHA-256 of its body; one that is
 * missing, damaged or not what it claims to be is skipped (with a warning)
 * for an older one, down to folding from version 0.
 */
import { createHash } from 'node:crypto';
import type { ChunkRef } from '../chunk/chunk.js';
import type { DatasetSchema } from '../schema/schema.js';
import type { VersionSummary } from './record.js';
import type { Snapshot } from './snapshot.js';
import type { StoredWriterState } from './writers.js';
import { loadWriterState, storeWriterState } from './writers.js';

interface CheckpointBody {
  format: 1;
  dataset: string;
  version: number;
  time: number;
  schema: DatasetSchema;
  rows: number;
  /** Live chunks in commit order (the order scans read them in). */
  chunks: ChunkRef[];
  writers: Record<string, StoredWriterState>;
  /** What the version itself did, so it can still be listed once a vacuum deleted its record. */
  summary?: VersionSummary;
}

export interface Checkpoint {
  snapshot: Snapshot;
  summary: VersionSummary | null;
}

/** Checkpoint object names: the version in 20 digits, so names sort as versions do. */
export function checkpointName(version: number): string {
  return String(version).padStart(20, '0');
}

export function encodeCheckpoint(s: Snapshot, summary: VersionSummary): Uint8Array {
  const body: CheckpointBody = {
    format: 1, dataset: s.dataset, version: s.version, time: s.time, schema: s.schema, rows: s.rows,
    chunks: [...s.chunks.values()], writers: Object.fromEntries([...s.writers].map(([w, st]) => [w, storeWriterState(st)])), summary,
  };
  const json = JSON.stringify(body);
  return Buffer.from(`${createHash('sha256').update(json).digest('hex')}\n${json}`);
}

/** The snapshot (and version summary) a checkpoint holds, or the reason it cannot be used. */
export function decodeCheckpoint(bytes: Uint8Array, dataset: string, version: number): Checkpoint | string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const nl = text.indexOf('\n');
  if (nl !== 64) return 'no checksum line';
  const json = text.slice(nl + 1);
  if (createHash('sha256').update(json).digest('hex') !== text.slice(0, nl)) return 'its checksum does not match';
  let body: CheckpointBody;
  try { body = JSON.parse(json) as CheckpointBody; } catch (e) { return `not JSON (${(e as Error).message})`; }
  if (body.format !== 1 || body.dataset !== dataset || body.version !== version || !Array.isArray(body.chunks)) return 'it is not the checkpoint its name says';
  const snapshot: Snapshot = {
    dataset, version, time: body.time, schema: body.schema, rows: body.rows,
    chunks: new Map(body.chunks.map((c) => [c.id, c])),
    writers: new Map(Object.entries(body.writers).map(([w, st]) => [w, loadWriterState(st)])),
  };
  return { snapshot, summary: body.summary ?? null };
}
