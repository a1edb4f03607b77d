/**
 * The revert rule, stated plainly for tests to check the store against: a
 * version is in effect unless a version in effect cancels it (a revert its
 * target, a rollback to t every version after t); a row is live when the
 * append that wrote it is in effect and no delete in effect took it.
 */
export interface Rec {
  kind: 'create' | 'append' | 'rollback' | 'compact' | 'add_column' | 'delete' | 'revert';
  /** append: the ids of its rows. */
  ids?: string[];
  /** delete: the ids it took, and the columns its predicate reads. */
  deleted?: Set<string>;
  whereColumns?: string[];
  to?: number;
  target?: number;
  column?: string;
  /** (writer, seq, text) it committed. */
  seqs?: [string, number, string][];
}

export interface Effect { inEffect: Map<number, boolean>; below: number; reverted: Set<number> }

/** Which versions in [lo, hi] are in effect (with one more revert of `extra` on top), and what they cancel below lo. */
export function effect(recs: readonly Rec[], lo: number, hi: number, extra?: number): Effect {
  let below = Infinity;
  const reverted = new Set<number>(extra === undefined ? [] : [extra]);
  const inEffect = new Map<number, boolean>();
  for (let v = hi; v >= lo; v--) {
    const on = !(v > below) && !reverted.has(v);
    inEffect.set(v, on);
    if (!on) continue;
    if (recs[v]!.kind === 'revert') reverted.add(recs[v]!.target!);
    if (recs[v]!.kind === 'rollback') below = Math.min(below, recs[v]!.to!);
  }
  return { inEffect, below, reverted };
}

/** The ids live after every version in `recs` (version 0 first). */
export function liveOf(recs: readonly Rec[]): Set<string> {
  const e = effect(recs, 1, recs.length - 1);
  const gone = new Set<string>();
  recs.forEach((r, v) => { if (r.kind === 'delete' && e.inEffect.get(v)) for (const id of r.deleted!) gone.add(id); });
  const live = new Set<string>();
  recs.forEach((r, v) => { if (r.kind === 'append' && e.inEffect.get(v)) for (const id of r.ids!) if (!gone.has(id)) live.add(id); });
  return live;
}
