import type { ChunkRef } from '../chunk/chunk.js';
import { StrataError } from '../core/errors.js';
import type { DatasetSchema } from '../schema/schema.js';
import type { StoredWriterState } from './writers.js';

export const commitKinds = ['create', 'append', 'rollback', 'compact', 'add_column', 'delete', 'revert'] as const;
export type CommitKind = (typeof commitKinds)[number];

/** A writer's last seq as an earlier format stored it in rollback records (read, never written). */
export interface WriterPosition {
  seq: number;
  version: number;
  digest: string;
}

/**
 * One commit, as stored. A snapshot is the fold of records 0..v: apply
 * `removes`, then `adds`; take `schema`; update writer states (each append
 * adds its seq to its writer's; a rollback replaces them all with
 * `writerStates`, its target's).
 */
export interface VersionRecord {
  format: 1;
  dataset: string;
  version: number;
  /** Commit time, ms since the epoch; never less than the previous version's. */
  time: number;
  kind: CommitKind;
  schema: DatasetSchema;
  adds: ChunkRef[];
  removes: string[];
  rowsAdded: number;
  rowsRemoved: number;
  writer?: string;
  seq?: number;
  digest?: string;
  /** The idempotent batches of an append (several for a group commit), each with its (writer, seq, digest). */
  appends?: { writer: string; seq: number; digest: string }[];
  /** Batches an append committed, idempotent or not (absent: one). */
  batches?: number;
  /** Earlier format of `writerStates`. */
  writers?: Record<string, WriterPosition>;
  /** A rollback's writer states: its target's, whole. */
  writerStates?: Record<string, StoredWriterState>;
  rollbackTo?: number;
  /** A delete's predicate, and the columns it reads (a revert of their add_column is refused while it is in effect). */
  where?: string;
  whereColumns?: string[];
  /** The ids of the rows a delete removed, as row-id runs in a segment (see chunk/row-ids.ts). */
  deleted?: { segment: string; offset: number; bytes: number; crc: number };
  /** A revert's target, and the versions whose effect it withdrew (off) or brought back (on). */
  revertOf?: number;
  flips?: { off: number[]; on: number[] };
}

export function encodeRecord(r: VersionRecord): Uint8Array {
  return Buffer.from(JSON.stringify(r));
}

export function decodeRecord(bytes: Uint8Array, dataset: string, version: number): VersionRecord {
  let r: VersionRecord;
  try {
    r = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as VersionRecord;
  } catch (e) {
    throw new StrataError('STRATA_ERR_VERSION_CORRUPT', `version ${version} of ${dataset} is not valid JSON: ${(e as Error).message}`, { dataset, version });
  }
  if (r === null || typeof r !== 'object' || r.format !== 1 || r.version !== version || r.dataset !== dataset || !Array.isArray(r.adds) || !Array.isArray(r.removes)) {
    throw new StrataError('STRATA_ERR_VERSION_CORRUPT', `version ${version} of ${dataset} does not hold the record it should`, { dataset, version });
  }
  return r;
}

/** What a version did, without its chunk lists: enough to list it after a vacuum kept only its checkpoint. */
export interface VersionSummary {
  version: number;
  time: number;
  kind: CommitKind;
  rowsAdded: number;
  rowsRemoved: number;
  chunksAdded: number;
  chunksRemoved: number;
  appends: { writer: string; seq: number }[];
  batches?: number;
  rollbackTo?: number;
  revertOf?: number;
  where?: string;
}

export function summarize(r: VersionRecord): VersionSummary {
  return {
    version: r.version, time: r.time, kind: r.kind, rowsAdded: r.rowsAdded, rowsRemoved: r.rowsRemoved, chunksAdded: r.adds.length, chunksRemoved: r.removes.length,
    appends: r.appends?.map(({ writer, seq }) => ({ writer, seq })) ?? (r.writer !== undefined ? [{ writer: r.writer, seq: r.seq! }] : []),
    ...(r.batches !== undefined ? { batches: r.batches } : {}), ...(r.rollbackTo !== undefined ? { rollbackTo: r.rollbackTo } : {}),
    ...(r.revertOf !== undefined ? { revertOf: r.revertOf } : {}), ...(r.where !== undefined ? { where: r.where } : {}),
  };
}
