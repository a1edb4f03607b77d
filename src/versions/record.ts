import type { ChunkRef } from '../chunk/chunk.js';
import { StrataError } from '../core/errors.js';
import type { DatasetSchema } from '../schema/schema.js';

export const commitKinds = ['create', 'append', 'rollback', 'compact', 'add_column', 'delete'] as const;
export type CommitKind = (typeof commitKinds)[number];

/** Where a writer stands: its last committed seq, the version that holds it, and that batch's content digest. */
export interface WriterPosition {
  seq: number;
  version: number;
  digest: string;
}

/**
 * One commit, as stored. A snapshot is the fold of records 0..v: apply
 * `removes`, then `adds`; take `schema`; update writer positions (appends
 * move one writer; a rollback replaces the whole table with `writers`).
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
  /** A group commit: several idempotent batches in one version, each with its own (writer, seq, digest). */
  appends?: { writer: string; seq: number; digest: string }[];
  writers?: Record<string, WriterPosition>;
  rollbackTo?: number;
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
