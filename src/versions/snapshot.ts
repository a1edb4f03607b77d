import type { ChunkRef } from '../chunk/chunk.js';
import { assert } from '../core/assert.js';
import type { DatasetSchema } from '../schema/schema.js';
import type { VersionRecord } from './record.js';
import type { WriterState } from './writers.js';
import { fromPosition, loadWriterState, withSeqs } from './writers.js';

/** The state of a dataset after commit `version`. Treat as immutable once returned. */
export interface Snapshot {
  readonly dataset: string;
  readonly version: number;
  readonly time: number;
  readonly schema: DatasetSchema;
  /** Live chunks by id, in commit order. */
  readonly chunks: ReadonlyMap<string, ChunkRef>;
  readonly writers: ReadonlyMap<string, WriterState>;
  readonly rows: number;
}

interface MutableSnapshot {
  dataset: string;
  version: number;
  time: number;
  schema: DatasetSchema;
  chunks: Map<string, ChunkRef>;
  writers: Map<string, WriterState>;
  rows: number;
}

export function cloneSnapshot(s: Snapshot): MutableSnapshot {
  return { ...s, chunks: new Map(s.chunks), writers: new Map(s.writers) };
}

/** Applies one record to a snapshot in place; the record must be the next version. */
export function applyRecord(s: MutableSnapshot | null, r: VersionRecord): MutableSnapshot {
  if (s === null) {
    assert(r.version === 0 && r.kind === 'create', `a dataset's history starts with a create at version 0, found ${r.kind} at ${r.version}`);
    s = { dataset: r.dataset, version: -1, time: r.time, schema: r.schema, chunks: new Map(), writers: new Map(), rows: 0 };
  }
  assert(r.version === s.version + 1, `version ${r.version} follows ${s.version}`);
  for (const id of r.removes) {
    const c = s.chunks.get(id);
    assert(c !== undefined, `version ${r.version} removes chunk ${id} that is not live`);
    s.rows -= c.rows;
    s.chunks.delete(id);
  }
  for (const c of r.adds) {
    assert(!s.chunks.has(c.id), `version ${r.version} adds chunk ${c.id} that is already live`);
    s.chunks.set(c.id, c);
    s.rows += c.rows;
  }
  if (r.writerStates) s.writers = new Map(Object.entries(r.writerStates).map(([w, st]) => [w, loadWriterState(st)]));
  else if (r.writers) s.writers = new Map(Object.entries(r.writers).map(([w, p]) => [w, fromPosition(p)]));
  if (r.writer !== undefined && r.seq !== undefined && r.digest !== undefined) {
    s.writers.set(r.writer, withSeqs(s.writers.get(r.writer), [[r.seq, r.digest]], r.version));
  }
  // A group commit may hold many seqs of one writer: each writer's state is copied once.
  const byWriter = new Map<string, [number, string][]>();
  for (const a of r.appends ?? []) byWriter.set(a.writer, [...(byWriter.get(a.writer) ?? []), [a.seq, a.digest]]);
  for (const [w, seqs] of byWriter) s.writers.set(w, withSeqs(s.writers.get(w), seqs, r.version));
  s.version = r.version;
  s.time = r.time;
  s.schema = r.schema;
  return s;
}
