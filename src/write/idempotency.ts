/**
 * Exactly-once appends: what a (writer, seq, digest) is on a snapshot. The
 * rule (versions/writers.ts keeps the state it reads):
 *
 * - the seq is among the writer's kept seqs: a duplicate (the answer names
 *   the version that holds it) if the digest matches, else
 *   STRATA_ERR_SEQ_CONFLICT;
 * - the seq is above the writer's floor: new, whatever its order — a batch
 *   sent after later ones, a gap filled, a seq a rollback took back;
 * - the seq is kept but a revert withdrew its version: STRATA_ERR_SEQ_REVERTED
 *   (a retry must not bring back a batch someone withdrew on purpose);
 * - the seq is at or below the floor: STRATA_ERR_SEQ_TOO_OLD, because
 *   whether it was stored is no longer known exactly.
 *
 * So `duplicate` is a promise that the batch is stored, and nothing is
 * dropped without an error saying so.
 */
import { StrataError } from '../core/errors.js';
import type { Snapshot } from '../versions/snapshot.js';
import { writerSeqsKept } from '../versions/writers.js';

/**
 * A fence for one writer that moves between processes (a Kafka partition
 * handed to another consumer): a new batch sent `after` seq n is refused
 * with STRATA_ERR_WRITER_MOVED unless n is still the writer's newest seq, so
 * two processes that both resumed from n cannot both store what follows it.
 */
export function checkAfter(head: Snapshot, writer: string, after: number | undefined): void {
  if (after === undefined) return;
  const newest = head.writers.get(writer)?.seq ?? -1;
  if (newest !== after) {
    throw new StrataError('STRATA_ERR_WRITER_MOVED', `writer ${writer} is at seq ${newest}, not ${after} as this batch expected: another process wrote for it; resume from ${newest}`, { dataset: head.dataset, writer, seq: newest });
  }
}

export type SeqClass = { kind: 'new' } | { kind: 'duplicate'; version: number };

/** Classifies (writer, seq, digest) on `head`; throws for a conflict or a seq too old to know. */
export function classifySeq(head: Snapshot, writer: string, seq: number, digest: string): SeqClass {
  const state = head.writers.get(writer);
  if (!state) return { kind: 'new' };
  const kept = state.seqs.get(seq);
  if (kept) {
    if (kept.reverted) {
      throw new StrataError('STRATA_ERR_SEQ_REVERTED', `writer ${writer} committed seq ${seq} in version ${kept.version}, and a revert withdrew that version: the batch is not stored and is not stored again under this seq; send it (or its correction) under a new seq`, { dataset: head.dataset, version: kept.version, writer, seq });
    }
    if (kept.digest === digest) return { kind: 'duplicate', version: kept.version };
    throw new StrataError('STRATA_ERR_SEQ_CONFLICT', `writer ${writer} already committed seq ${seq} (version ${kept.version}) with different content; a retry must send the same batch`, { dataset: head.dataset, version: kept.version, writer, seq });
  }
  if (seq > state.floor) return { kind: 'new' };
  throw new StrataError('STRATA_ERR_SEQ_TOO_OLD', `seq ${seq} of writer ${writer} is at or below ${state.floor}, the highest seq Strata no longer keeps (it keeps each writer's last ${writerSeqsKept}); whether it was stored is not known, so it was not written. The writer's newest seq is ${state.seq}`, { dataset: head.dataset, writer, seq, floor: state.floor });
}
