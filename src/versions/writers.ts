/**
 * What a snapshot knows of each writer, for exactly-once appends with many
 * batches in flight: the exact set of the writer's last `writerSeqsKept`
 * committed seqs (each with the version holding it and its content
 * digest), and its floor, the highest seq it no longer keeps. Every
 * committed seq above the floor is in the set (evicted seqs are all at or
 * below the floor, since the floor is their maximum), so for a seq s:
 *
 * - in the set: a duplicate if the digest matches, a conflict if not;
 * - above the floor and not in the set: never committed, so new — whether it
 *   is above the writer's highest seq, a gap, or a batch that arrived after
 *   later ones (pipelining);
 * - at or below the floor and not in the set: unknown, so refused.
 *
 * A rollback restores the states of its target version, so seqs committed
 * after the target are new again.
 */

/**
 * Seqs kept exactly per writer. Part of the format, not a setting: every
 * process folding a dataset's history must reach the same writer states.
 */
export const writerSeqsKept = 1024;

export interface SeqEntry {
  version: number;
  digest: string;
  /** A revert withdrew the version holding it: the seq stays used, its rows are gone. */
  reverted?: true;
}

export interface WriterState {
  /** The highest committed seq, and the version that holds it. */
  seq: number;
  version: number;
  /** The highest seq no longer kept exactly; -1 while nothing was evicted. */
  floor: number;
  /** The last kept committed seqs, in commit order. Treat as immutable. */
  seqs: ReadonlyMap<number, SeqEntry>;
}

/** As stored in a rollback or revert record or a checkpoint: seqs as [seq, version, digest, 1 if reverted] in commit order. */
export interface StoredWriterState {
  seq: number;
  version: number;
  floor: number;
  seqs: ([number, number, string] | [number, number, string, 1])[];
}

/** A writer state with more seqs committed in `version`, in order (a new object; the old one is untouched). */
export function withSeqs(state: WriterState | undefined, committed: readonly [number, string][], version: number, kept = writerSeqsKept): WriterState {
  const seqs = new Map(state?.seqs ?? []);
  let floor = state?.floor ?? -1;
  let high = state ? { seq: state.seq, version: state.version } : null;
  for (const [seq, digest] of committed) {
    seqs.delete(seq);
    seqs.set(seq, { version, digest });
    if (!high || seq > high.seq) high = { seq, version };
  }
  while (seqs.size > kept) {
    const oldest = seqs.keys().next().value as number;
    seqs.delete(oldest);
    floor = Math.max(floor, oldest);
  }
  return { ...high!, floor, seqs };
}

export function storeWriterState(s: WriterState): StoredWriterState {
  return { seq: s.seq, version: s.version, floor: s.floor, seqs: [...s.seqs].map(([seq, e]) => (e.reverted ? [seq, e.version, e.digest, 1] : [seq, e.version, e.digest])) };
}

export function loadWriterState(s: StoredWriterState): WriterState {
  return { seq: s.seq, version: s.version, floor: s.floor, seqs: new Map(s.seqs.map(([seq, version, digest, reverted]) => [seq, reverted === 1 ? { version, digest, reverted: true } : { version, digest }])) };
}

/**
 * A writer position stored by an earlier format (a rollback record holding
 * only each writer's last seq): that seq is kept, and everything below it is
 * taken as unknown.
 */
export function fromPosition(p: { seq: number; version: number; digest: string }): WriterState {
  return { seq: p.seq, version: p.version, floor: p.seq - 1, seqs: new Map([[p.seq, { version: p.version, digest: p.digest }]]) };
}
