/**
 * Appending a validated batch: digest it and hand it to the group committer
 * (which answers retries, and cuts the chunks of the whole group).
 */
import type { Batch } from '../chunk/batch.js';
import { batchDigest } from '../chunk/chunk.js';
import { StrataError } from '../core/errors.js';
import { validateSeq, validateWriter } from '../core/names.js';
import type { DatasetSchema } from '../schema/schema.js';
import type { AppendResult, GroupCommitter } from './group-commit.js';

export interface AppendOptions {
  writer?: string;
  seq?: number;
  /** With writer and seq: store the batch only if the writer's newest seq is still this one (-1: none). */
  after?: number;
}

export function checkIdempotency(options: AppendOptions): { writer?: string; seq?: number } {
  if ((options.writer === undefined) !== (options.seq === undefined)) {
    throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', 'writer and seq go together: give both for an idempotent append, or neither');
  }
  if (options.writer === undefined) return {};
  return { writer: validateWriter(options.writer), seq: validateSeq(options.seq!) };
}

export async function appendBatch(committer: GroupCommitter, dataset: string, batch: Batch, options: AppendOptions, schema: DatasetSchema): Promise<AppendResult> {
  const { writer, seq } = checkIdempotency(options);
  if (batch.rows === 0) throw new StrataError('STRATA_ERR_EMPTY_BATCH', `the batch for ${dataset} has no rows; nothing was written`, { dataset });
  // A plain retry is answered by the group committer, which classifies before it writes anything.
  const digest = batchDigest(batch);
  if (options.after !== undefined && (writer === undefined || !Number.isSafeInteger(options.after) || options.after < -1)) {
    throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', 'after goes with writer and seq, and is a seq or -1');
  }
  return committer.enqueue(dataset, { writer, seq, digest, batch, schema, ...(options.after !== undefined ? { after: options.after } : {}) });
}
