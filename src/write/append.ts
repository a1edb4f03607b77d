/**
 * Appending a validated batch: digest it, answer a plain retry at once, and
 * hand the rest to the group committer (which cuts the chunks of the whole
 * group).
 */
import type { Batch } from '../chunk/batch.js';
import { batchDigest } from '../chunk/chunk.js';
import { StrataError } from '../core/errors.js';
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

export async function appendBatch(log: VersionLog, committer: GroupCommitter, dataset: string, batch: Batch, options: AppendOptions, schema: DatasetSchema): Promise<AppendResult> {
  const { writer, seq } = checkIdempotency(options);
  if (batch.rows === 0) throw new StrataError('STRATA_ERR_EMPTY_BATCH', `the batch for ${dataset} has no rows; nothing was written`, { dataset });
  const digest = batchDigest(batch);
  if (writer !== undefined) {
    // A plain retry is answered before anything is written.
    const c = classifySeq(await log.snapshot(dataset), writer, seq!, digest);
    if (c.kind === 'duplicate') return { version: c.version, rows: batch.rows, duplicate: true, chunks: 0 };
  }
  return committer.enqueue(dataset, { writer, seq, digest, batch, schema });
}
