/**
 * Appending a validated batch: cut it into chunks (encoded, named by content
 * and by (writer, seq), so a retry yields the same chunks), digest it, answer
 * a plain retry at once, and hand the rest to the group committer.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Batch } from '../chunk/batch.js';
import type { EncodedChunk } from '../chunk/chunk.js';
import { chunkBatch } from '../chunk/chunk.js';
import { StrataError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import { validateSeq, validateWriter } from '../core/names.js';
import type { DatasetSchema } from '../schema/schema.js';
import type { VersionLog } from '../versions/log.js';
import type { AppendResult, GroupCommitter } from './group-commit.js';
import { classifySeq } from './idempotency.js';

export interface AppendOptions {
  writer?: string;
  seq?: number;
}

export function checkIdempotency(options: AppendOptions): { writer?: string; seq?: number } {
  if ((options.writer === undefined) !== (options.seq === undefined)) {
    throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', 'writer and seq go together: give both for an idempotent append, or neither');
  }
  if (options.writer === undefined) return {};
  return { writer: validateWriter(options.writer), seq: validateSeq(options.seq!) };
}

/** Digest of a batch's content (not its ids), to tell a true retry from a different batch under the same seq. */
export function batchDigest(chunks: readonly EncodedChunk[], rows: number): string {
  // Content hashes cover column names and bytes of the non-empty columns, so the digest does not depend on the schema's other columns.
  const h = createHash('sha256').update(`${rows}`);
  for (const hash of chunks.map((c) => c.contentHash).sort()) h.update(hash);
  return h.digest('hex').slice(0, 32);
}

export async function appendBatch(log: VersionLog, committer: GroupCommitter, limits: Limits, dataset: string, batch: Batch, options: AppendOptions, schema: DatasetSchema): Promise<AppendResult> {
  const { writer, seq } = checkIdempotency(options);
  if (batch.rows === 0) throw new StrataError('STRATA_ERR_EMPTY_BATCH', `the batch for ${dataset} has no rows; nothing was written`, { dataset });
  const salt = writer !== undefined ? `${writer}\0${seq!}` : randomBytes(16).toString('hex');
  const chunks = chunkBatch(batch, schema, salt, limits.statsStringBytesMax);
  const digest = batchDigest(chunks, batch.rows);
  if (writer !== undefined) {
    // A plain retry is answered before anything is written.
    const c = classifySeq(await log.snapshot(dataset), writer, seq!, digest);
    if (c.kind === 'duplicate') return { version: c.version, rows: batch.rows, duplicate: true, chunks: 0 };
  }
  return committer.enqueue(dataset, { writer, seq, digest, chunks, rows: batch.rows, columns: schema.columns.length });
}
