/**
 * Group commit: appends that arrive while a commit is in flight wait, and
 * are then committed together as one version, each keeping its own
 * (writer, seq) identity. One committer runs per dataset in a process:
 *
 *   take up to groupCommitBatchesMax waiting batches
 *   classify each on the head (new / duplicate / refused; see idempotency.ts),
 *     a (writer, seq) twice in the group: the second is a duplicate of the first
 *   cut the new batches' rows into chunks: a chunk per big partition, and the
 *     small partitions' rows together in mixed chunks (compaction sorts them out)
 *   write those chunks as segments (one put each)
 *   commit the version record; a lost race re-plans on the new head, and
 *     writes the chunks again if the new head changes which batches are new
 */
import type { Batch } from '../chunk/batch.js';
import { concatBatches } from '../chunk/batch.js';
import type { ChunkRef } from '../chunk/chunk.js';
import { cutChunks } from '../chunk/chunk.js';
import { withOrigin } from '../chunk/row-ids.js';
import type { EncodedChunk } from '../chunk/chunk.js';
import type { DatasetSchema } from '../schema/schema.js';
import { StrataError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { Store } from '../storage/store.js';
import type { VersionLog } from '../versions/log.js';
import type { Snapshot } from '../versions/snapshot.js';
import { checkAfter, classifySeq } from './idempotency.js';
import { segmentName, writeSegments } from './segment.js';

export interface AppendResult {
  version: number;
  rows: number;
  duplicate: boolean;
  chunks: number;
}

export interface PendingAppend {
  writer: string | undefined;
  seq: number | undefined;
  /** The writer's newest seq the sender expects (-1: none yet); a new batch is refused when it is not. */
  after?: number;
  digest: string;
  batch: Batch;
  /** The head schema the batch was parsed with. */
  schema: DatasetSchema;
  resolve: (r: AppendResult) => void;
  reject: (e: Error) => void;
}

type Outcome = AppendResult | StrataError;

export class GroupCommitter {
  /** Appends waiting for their group commit, per dataset. */
  private readonly pending = new Map<string, PendingAppend[]>();

  /** `written`: told of each group's chunks once they are stored (before the commit: they may never be read). */
  constructor(private readonly store: Store, private readonly log: VersionLog, private readonly limits: Limits, private readonly written: (dataset: string, chunks: readonly EncodedChunk[]) => void = () => {}) {}

  /** Queues a prepared batch; resolves once its group committed (or refused it). */
  enqueue(dataset: string, p: Omit<PendingAppend, 'resolve' | 'reject'>): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      const queue = this.pending.get(dataset) ?? [];
      queue.push({ ...p, resolve, reject });
      this.pending.set(dataset, queue);
      if (queue.length === 1) void this.run(dataset);
    });
  }

  private async run(dataset: string): Promise<void> {
    for (;;) {
      const queue = this.pending.get(dataset) ?? [];
      if (queue.length === 0) { this.pending.delete(dataset); return; }
      const group = queue.slice(0, this.limits.groupCommitBatchesMax);
      let outcome: (Outcome | null)[];
      try {
        outcome = await this.commitGroup(dataset, group);
      } catch (e) {
        outcome = group.map(() => e as StrataError);
      }
      group.forEach((p, i) => {
        const o = outcome[i];
        if (o instanceof Error) p.reject(o);
        else if (o) p.resolve(o);
        else p.reject(new StrataError('STRATA_ERR_INTERNAL', 'a batch of a group commit got no outcome'));
      });
      queue.splice(0, group.length);
    }
  }

  /**
   * What each batch of the group is on `head`: null for new, an answer, or an
   * error. A duplicate inside the group gets version -1 (filled in with the
   * version of the batch it repeats once that commits).
   */
  private classify(dataset: string, head: Snapshot, group: readonly PendingAppend[]): (Outcome | null)[] {
    const taken = new Map<string, string>();
    return group.map((p): Outcome | null => {
      if (head.schema.columns.length !== p.schema.columns.length) {
        return new StrataError('STRATA_ERR_COMMIT_CONFLICT', `the schema of ${dataset} changed while the batch was being written; send it again`, { dataset, retryable: true });
      }
      if (p.writer === undefined) return null;
      const key = `${p.writer}\0${String(p.seq)}`;
      const earlier = taken.get(key);
      if (earlier !== undefined) {
        return earlier === p.digest
          ? { version: -1, rows: p.batch.rows, duplicate: true, chunks: 0 }
          : new StrataError('STRATA_ERR_SEQ_CONFLICT', `writer ${p.writer} sent seq ${String(p.seq)} twice at once with different content`, { dataset, writer: p.writer, seq: p.seq });
      }
      try {
        const c = classifySeq(head, p.writer, p.seq!, p.digest);
        if (c.kind === 'duplicate') return { version: c.version, rows: p.batch.rows, duplicate: true, chunks: 0 };
        checkAfter(head, p.writer, p.after);
      } catch (e) {
        return e as StrataError;
      }
      taken.set(key, p.digest);
      return null;
    });
  }

  /** Cuts the batches' rows into chunks and writes them as segments. */
  private async writeChunks(dataset: string, batches: readonly PendingAppend[]): Promise<ChunkRef[]> {
    if (batches.length === 0) return [];
    const chunks = cutChunks(concatBatches(batches.map((p) => p.batch)), batches[0]!.schema, {
      salt: segmentName(), statsStringBytesMax: this.limits.statsStringBytesMax, mixedBelowRows: this.limits.mixedChunkPartitionRowsMax,
    });
    const refs = await writeSegments(this.store, dataset, chunks, this.limits.segmentBytesMax);
    this.written(dataset, chunks);
    return refs;
  }

  private async commitGroup(dataset: string, group: readonly PendingAppend[]): Promise<(Outcome | null)[]> {
    // The first classification decides what is written; the commit classifies again on its head.
    let outcome = this.classify(dataset, await this.log.snapshot(dataset), group);
    let written = group.filter((_, i) => outcome[i] === null);
    let refs = await this.writeChunks(dataset, written);
    await this.log.commit<void>(dataset, async (head) => {
      outcome = this.classify(dataset, head, group);
      const accepted = group.filter((_, i) => outcome[i] === null);
      if (accepted.length === 0) return { done: undefined };
      if (accepted.length !== written.length || accepted.some((p, i) => p !== written[i])) {
        // Another writer or a rollback changed which batches are new: the chunks are cut again.
        written = accepted;
        refs = await this.writeChunks(dataset, written);
      }
      const ids = accepted.filter((p) => p.writer !== undefined).map((p) => ({ writer: p.writer!, seq: p.seq!, digest: p.digest }));
      return {
        commit: {
          kind: 'append', schema: head.schema, adds: withOrigin(refs, head.version + 1), removes: [],
          rowsAdded: accepted.reduce((n, p) => n + p.batch.rows, 0), rowsRemoved: 0,
          ...(ids.length > 0 ? { appends: ids } : {}), ...(accepted.length > 1 ? { batches: accepted.length } : {}),
        },
        result: (version) => {
          outcome = outcome.map((o, i) => (o === null ? { version, rows: group[i]!.batch.rows, duplicate: false, chunks: refs.length } : o));
        },
      };
    });
    // A duplicate of a batch committed in this same group holds that batch's version.
    const versionOf = new Map<string, number>();
    group.forEach((p, i) => { const o = outcome[i]; if (p.writer !== undefined && o && !(o instanceof Error) && !o.duplicate) versionOf.set(`${p.writer}\0${String(p.seq)}`, o.version); });
    return outcome.map((o, i) => {
      if (!o || o instanceof Error || o.version !== -1) return o;
      const version = versionOf.get(`${group[i]!.writer!}\0${String(group[i]!.seq)}`);
      return version !== undefined ? { ...o, version } : new StrataError('STRATA_ERR_COMMIT_CONFLICT', `the batch ${dataset} repeats was not committed; send it again`, { dataset, retryable: true });
    });
  }
}
