/**
 * Reverting one version: a new version that withdraws exactly that
 * version's effect and keeps every later one.
 *
 * The model. Each version is in effect unless a version in effect cancels
 * it: a revert cancels its target, a rollback to t cancels every version
 * between t and itself. (So a revert of a revert brings its target back,
 * and reverting a rollback brings back what it rolled away.) A row is live
 * when the append that wrote it is in effect and no delete in effect took
 * it; the schema holds the columns of the add_columns in effect; a batch
 * withdrawn keeps its seq, marked reverted (a retry is refused, never
 * stored again; a corrected batch goes under a new seq). Every other commit
 * keeps the head what this model says, so a revert computes which versions
 * change state (the target, and what it cancelled or brought back) and
 * moves only the rows those versions own:
 * - an append going out of effect: its rows still live go;
 * - an append coming back: its rows come back, except those a delete in
 *   effect took;
 * - a delete going out of effect: the rows it took come back, unless their
 *   append is out of effect or another delete in effect took them too;
 * - a delete coming back: the rows it took go again.
 * Rows are found by id (chunk/row-ids.ts) wherever compaction moved them;
 * rows coming back are shown again from the chunks that stored them, by
 * masks, so nothing is rewritten.
 *
 * Limits: the version before the target and everything from there on must
 * be kept (not vacuumed), and a revert may not change the state of a
 * vacuumed version; it refuses with STRATA_ERR_VERSION_VACUUMED otherwise.
 */
import type { ChunkRef } from '../chunk/chunk.js';
import { baseOf, isMasked, storedRows } from '../chunk/mask.js';
import type { RowIds } from '../chunk/row-ids.js';
import { RowSet } from '../chunk/row-ids.js';
import { checksum } from '../chunk/chunk.js';
import { StrataError } from '../core/errors.js';
import type { Column } from '../schema/schema.js';
import type { VersionRecord } from '../versions/record.js';
import type { Snapshot } from '../versions/snapshot.js';
import type { WriterState } from '../versions/writers.js';
import { storeWriterState, withSeqs } from '../versions/writers.js';
import type { DeleteContext, MaskParts } from './delete.js';
import { maskedRef } from './delete.js';
import { segmentName } from './segment.js';

export interface RevertResult {
  version: number;
  revertOf: number;
  rowsAdded: number;
  rowsRemoved: number;
  /** Versions whose effect the revert withdrew, and versions it brought back into effect. */
  off: number[];
  on: number[];
}

type Kinds = Map<number, Pick<VersionRecord, 'kind' | 'rollbackTo' | 'revertOf'>>;

interface Effect {
  inEffect: Map<number, boolean>;
  /** What the versions in effect cancel below `lo`: every version above `below`, and `reverted`. */
  below: number;
  reverted: Set<number>;
}

/** Which versions in [lo, hi] are in effect, with one more revert of `extra` on top when given. */
export function effect(kinds: Kinds, lo: number, hi: number, extra?: number): Effect {
  let below = Infinity;
  const reverted = new Set<number>(extra === undefined ? [] : [extra]);
  const inEffect = new Map<number, boolean>();
  for (let v = hi; v >= lo; v--) {
    const on = !(v > below) && !reverted.has(v);
    inEffect.set(v, on);
    if (!on) continue;
    const k = kinds.get(v)!;
    if (k.kind === 'revert') reverted.add(k.revertOf!);
    if (k.kind === 'rollback') below = Math.min(below, k.rollbackTo!);
  }
  return { inEffect, below, reverted };
}

/** The same cancellations below `lo`? (A revert must not change what a vacuumed version is.) */
function sameBelow(a: Effect, b: Effect, lo: number): boolean {
  if (Math.min(a.below, lo - 1) !== Math.min(b.below, lo - 1)) return false;
  const low = (s: Set<number>): string => [...s].filter((v) => v < lo).sort((x, y) => x - y).join(',');
  return low(a.reverted) === low(b.reverted);
}

function conflict(message: string, dataset: string, version: number): never {
  throw new StrataError('STRATA_ERR_REVERT_CONFLICT', message, { dataset, version });
}

/** Where a row is stored: a chunk (any ref of it) and its stored row. */
interface Place { ref: ChunkRef; stored: number }

/** The ids of the stored rows of a ref. */
async function idsOf(ctx: DeleteContext, dataset: string, ref: ChunkRef): Promise<RowIds> {
  const ids = await ctx.reader.rowIds(dataset, ref);
  if (!ids) conflict(`chunk ${ref.id} was written before rows had ids, so its rows cannot be told apart for a revert`, dataset, -1);
  return ids;
}

async function deletedSet(ctx: DeleteContext, dataset: string, r: VersionRecord): Promise<RowSet> {
  if (r.rowsRemoved === 0) return new RowSet();
  if (!r.deleted) conflict(`version ${r.version} deleted rows written before rows had ids; it cannot be reverted`, dataset, r.version);
  const parts = await ctx.store.readObject(dataset, 'segment', r.deleted.segment, [{ offset: r.deleted.offset, length: r.deleted.bytes }]);
  const bytes = parts?.[0];
  if (!bytes || bytes.byteLength !== r.deleted.bytes || checksum(bytes) !== r.deleted.crc) {
    throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `the deleted-row list of version ${r.version} of ${dataset} is missing or damaged`, { dataset, version: r.version });
  }
  return RowSet.decode(bytes, `${dataset} version ${r.version} deleted rows`);
}

/** The revert's plan on `head`: everything but the writer states, which the commit redoes on its own head. */
interface RevertPlan {
  adds: ChunkRef[];
  removes: string[];
  rowsAdded: number;
  rowsRemoved: number;
  columns: Column[];
  off: number[];
  on: number[];
  /** Seqs to mark reverted (off) or in effect again (on): [writer, seq, digest, version]. */
  seqsOff: [string, number, string, number][];
  seqsOn: [string, number, string, number][];
}

async function planRevert(ctx: DeleteContext, head: Snapshot, x: number): Promise<RevertPlan> {
  const dataset = head.dataset;
  const { log } = ctx;
  const horizon = await log.horizon(dataset);
  // Records are kept from just after the horizon (a store never vacuumed has horizon 1 and keeps them all).
  const lo = horizon <= 1 ? 1 : horizon + 1;
  if (x < lo) {
    const e = await log.vacuumedError(dataset, x - 1, horizon);
    throw new StrataError('STRATA_ERR_VERSION_VACUUMED', `a revert of version ${x} reads version ${x - 1}, which a vacuum removed; versions after ${horizon} can be reverted`, { ...e.details, dataset, version: x });
  }
  const records = new Map<number, VersionRecord>();
  for (let v = lo; v <= head.version; v++) records.set(v, await log.record(dataset, v));
  const target = records.get(x)!;
  if (target.kind === 'create' || target.kind === 'compact') {
    throw new StrataError('STRATA_ERR_NOTHING_TO_REVERT', `version ${x} is a ${target.kind === 'create' ? 'create' : 'compaction'}: it changed no rows, so there is nothing to revert`, { dataset, version: x });
  }
  const before = effect(records, lo, head.version);
  const after = effect(records, lo, head.version, x);
  if (!before.inEffect.get(x)) {
    const by = [...records.keys()].filter((v) => v > x && before.inEffect.get(v) && (records.get(v)!.revertOf === x || (records.get(v)!.kind === 'rollback' && records.get(v)!.rollbackTo! < x)));
    throw new StrataError('STRATA_ERR_NOTHING_TO_REVERT', `version ${x} is already withdrawn${by.length > 0 ? ` (by version ${by[0]})` : ''}; revert that version to bring it back`, { dataset, version: x });
  }
  if (!sameBelow(before, after, lo)) {
    throw new StrataError('STRATA_ERR_VERSION_VACUUMED', `reverting version ${x} would change versions a vacuum removed (at or before ${horizon})`, { dataset, version: x, horizon });
  }
  const off: number[] = []; const on: number[] = [];
  for (let v = lo; v <= head.version; v++) if (before.inEffect.get(v) !== after.inEffect.get(v)) (after.inEffect.get(v) ? on : off).push(v);
  // Nothing a kept version did reaches below the horizon: then a row written before it is in effect exactly when it was.
  const reachesBelow = before.below < lo - 1 || [...before.reverted].some((v) => v < lo);

  const kindOf = (v: number): string => records.get(v)!.kind;
  const appendsOff = off.filter((v) => kindOf(v) === 'append');
  const appendsOn = on.filter((v) => kindOf(v) === 'append');
  const deletesOff = off.filter((v) => kindOf(v) === 'delete');
  const deletesOn = on.filter((v) => kindOf(v) === 'delete');
  const originInEffect = (o: number): boolean => (o >= lo ? after.inEffect.get(o) === true : true);

  // Every delete in effect after the revert can hold a candidate row.
  const deletes = new Map<number, RowSet>();
  for (const [v, r] of records) if (r.kind === 'delete' && after.inEffect.get(v)) deletes.set(v, await deletedSet(ctx, dataset, r));
  const flippedDeletes = new Map<number, RowSet>();
  for (const v of [...deletesOff, ...deletesOn]) flippedDeletes.set(v, deletes.get(v) ?? await deletedSet(ctx, dataset, records.get(v)!));
  const takenAfter = (o: number, i: number): boolean => { for (const s of deletes.values()) if (s.has(o, i)) return true; return false; };

  // Candidate rows: those of the appends that change state and those the deletes that change state took.
  const origins = new Set<number>([...appendsOff, ...appendsOn]);
  for (const s of flippedDeletes.values()) for (const o of s.origins()) origins.add(o);
  if (reachesBelow && [...origins].some((o) => o < lo)) {
    throw new StrataError('STRATA_ERR_VERSION_VACUUMED', `reverting version ${x} touches rows written before the vacuum horizon ${horizon}, and a kept version changed what is in effect before it; the outcome for those rows is not known`, { dataset, version: x, horizon });
  }

  // Where each candidate row lives at the head.
  const live = new Map<string, Place>();
  const key = (o: number, i: number): string => `${o}:${i}`;
  const masks = new Map<string, Uint8Array | null>();
  for (const ref of head.chunks.values()) {
    if (ref.origin !== undefined && !origins.has(ref.origin)) continue;
    const [ids, mask] = await Promise.all([idsOf(ctx, dataset, ref), ctx.reader.mask(dataset, ref)]);
    masks.set(ref.id, mask);
    for (let s = 0; s < ids.origins.length; s++) {
      if (!origins.has(ids.origins[s]!) || (mask && isMasked(mask, s))) continue;
      live.set(key(ids.origins[s]!, ids.ordinals[s]!), { ref, stored: s });
    }
  }

  const hide = new Map<string, Set<number>>(); // head ref id -> stored rows to hide
  const show = new Map<string, { ref: ChunkRef; rows: Set<number> }>(); // base id -> a ref of it, stored rows to show
  let rowsRemoved = 0; let rowsAdded = 0;
  const remove = (p: Place): void => { let s = hide.get(p.ref.id); if (!s) { s = new Set(); hide.set(p.ref.id, s); } s.add(p.stored); rowsRemoved++; };
  const restore = (p: Place): void => {
    const b = baseOf(p.ref);
    let e = show.get(b);
    if (!e) { e = { ref: p.ref, rows: new Set() }; show.set(b, e); }
    if (!e.rows.has(p.stored)) { e.rows.add(p.stored); rowsAdded++; }
  };
  for (const o of appendsOff) for (const [k, p] of live) if (k.startsWith(`${o}:`)) remove(p);
  for (const v of deletesOn) for (const [o, i] of flippedDeletes.get(v)!.entries()) { const p = live.get(key(o, i)); if (p) remove(p); }

  // Rows coming back, found in the chunks that stored them: an append's own chunks, or the chunks live before the delete.
  const sources = new Map<number, Map<string, Place>>();
  const placesIn = async (refs: Iterable<ChunkRef>, wanted: Set<number>): Promise<Map<string, Place>> => {
    const out = new Map<string, Place>();
    for (const ref of refs) {
      if (ref.origin !== undefined && !wanted.has(ref.origin)) continue;
      const ids = await idsOf(ctx, dataset, ref);
      for (let s = 0; s < ids.origins.length; s++) if (wanted.has(ids.origins[s]!)) out.set(key(ids.origins[s]!, ids.ordinals[s]!), { ref, stored: s });
    }
    return out;
  };
  for (const o of appendsOn) {
    const places = await placesIn(records.get(o)!.adds, new Set([o]));
    sources.set(o, places);
    for (const [k, p] of places) {
      const i = Number(k.slice(k.indexOf(':') + 1));
      if (!live.has(k) && !takenAfter(o, i)) restore(p);
    }
  }
  for (const v of deletesOff) {
    const set = flippedDeletes.get(v)!;
    const places = await placesIn((await log.snapshot(dataset, v - 1)).chunks.values(), new Set(set.origins()));
    for (const [o, i] of set.entries()) {
      if (!originInEffect(o) || takenAfter(o, i) || live.has(key(o, i))) continue;
      const p = places.get(key(o, i));
      if (!p) throw new StrataError('STRATA_ERR_INTERNAL', `row ${o}:${i} that version ${v} deleted is not in version ${v - 1}`);
      restore(p);
    }
  }

  // One new ref per chunk touched: a head ref with rows hidden, shown or both, or a chunk shown again.
  const seg: MaskParts = { name: segmentName(), parts: [], bytes: 0 };
  const adds: ChunkRef[] = []; const removes: string[] = [];
  const headByBase = new Map<string, ChunkRef>();
  for (const ref of head.chunks.values()) headByBase.set(baseOf(ref), ref);
  const touched = new Set<string>([...[...hide.keys()].map((id) => baseOf(head.chunks.get(id)!)), ...show.keys()]);
  for (const b of touched) {
    const current = headByBase.get(b);
    const from = current ?? show.get(b)!.ref;
    const stored = storedRows(from);
    let bits: Uint8Array;
    if (current) {
      const m = masks.get(current.id) ?? await ctx.reader.mask(dataset, current);
      bits = m ? new Uint8Array(m) : new Uint8Array(Math.ceil(stored / 8));
      removes.push(current.id);
    } else {
      bits = new Uint8Array(Math.ceil(stored / 8)).fill(0xff);
    }
    for (const s of (current ? hide.get(current.id) : undefined) ?? []) bits[s >>> 3]! |= 1 << (s & 7);
    for (const s of show.get(b)?.rows ?? []) bits[s >>> 3]! &= ~(1 << (s & 7));
    let shown = 0;
    for (let s = 0; s < stored; s++) if (!isMasked(bits, s)) shown++;
    if (shown === 0) continue;
    adds.push(shown === stored ? unmasked(from) : await maskedRef(ctx, dataset, head.schema, from, bits, shown, seg));
  }
  if (seg.parts.length > 0) await ctx.store.putObject(dataset, 'segment', seg.name, Buffer.concat(seg.parts));

  // The schema: columns of add_columns going out of effect leave (if nothing needs them); those coming back return at the end.
  let columns = [...head.schema.columns];
  for (const v of [...off, ...on].filter((w) => kindOf(w) === 'add_column').sort((a, b) => a - b)) {
    const prior = new Set((await log.snapshot(dataset, v - 1)).schema.columns.map((c) => c.name));
    const added = records.get(v)!.schema.columns.filter((c) => !prior.has(c.name));
    for (const c of added) {
      if (off.includes(v)) {
        const holder = [...head.chunks.values(), ...adds].find((r) => !removes.includes(r.id) && r.columns[c.name] !== undefined && r.columns[c.name]!.nulls < r.rows);
        if (holder) conflict(`column ${c.name} (added in version ${v}) holds values in rows still live; delete or revert those first`, dataset, v);
        const user = [...deletes.entries()].find(([d]) => d > v && records.get(d)!.whereColumns?.includes(c.name));
        if (user) conflict(`column ${c.name} (added in version ${v}) is read by the delete in version ${user[0]}, which stays in effect`, dataset, v);
        columns = columns.filter((k) => k.name !== c.name);
      } else {
        if (columns.some((k) => k.name === c.name)) conflict(`column ${c.name} (added in version ${v}) cannot come back: ${dataset} has a column of that name now`, dataset, v);
        columns.push(c);
      }
    }
  }

  const seqs = (v: number): [string, number, string, number][] => {
    const r = records.get(v)!;
    const list = r.appends ?? (r.writer !== undefined ? [{ writer: r.writer, seq: r.seq!, digest: r.digest! }] : []);
    return list.map((a) => [a.writer, a.seq, a.digest, v]);
  };
  return {
    adds, removes, rowsAdded, rowsRemoved, columns, off, on,
    seqsOff: off.filter((v) => ['append', 'delete'].includes(kindOf(v))).flatMap(seqs),
    seqsOn: on.filter((v) => ['append', 'delete'].includes(kindOf(v))).flatMap(seqs),
  };
}

/** A chunk shown whole again: its own ref, as it was before any mask. */
function unmasked(ref: ChunkRef): ChunkRef {
  if (!ref.mask) return ref;
  const { mask, base: _base, ...rest } = ref;
  const columns: ChunkRef['columns'] = {};
  for (const [name, m] of Object.entries(ref.columns)) columns[name] = { ...m, nulls: mask.nulls[name] ?? m.nulls };
  return { ...rest, id: baseOf(ref), rows: mask.stored, columns };
}

/** Writer states after the revert, on the head it commits on. */
function revertWriters(head: Snapshot, plan: RevertPlan, x: number): Map<string, WriterState> {
  const writers = new Map(head.writers);
  const mark = (w: string, seq: number, version: number, reverted: boolean): void => {
    const st = writers.get(w);
    const e = st?.seqs.get(seq);
    if (!st || !e || e.version !== version) return;
    const seqs = new Map(st.seqs);
    seqs.set(seq, reverted ? { version: e.version, digest: e.digest, reverted: true } : { version: e.version, digest: e.digest });
    writers.set(w, { ...st, seqs });
  };
  for (const [w, seq, , v] of plan.seqsOff) mark(w, seq, v, true);
  for (const [w, seq, digest, v] of plan.seqsOn) {
    const st = writers.get(w);
    const e = st?.seqs.get(seq);
    if (e && e.version === v) { mark(w, seq, v, false); continue; }
    if (e) conflict(`reverting version ${x} would bring back seq ${seq} of writer ${w} (version ${v}), which was sent again and stored in version ${e.version}: the batch would be stored twice`, head.dataset, v);
    if (st && seq <= st.floor) conflict(`reverting version ${x} would bring back seq ${seq} of writer ${w} (version ${v}), older than the seqs kept for that writer: whether it was sent again is not known`, head.dataset, v);
    writers.set(w, withSeqs(st, [[seq, digest]], v));
  }
  return writers;
}

export async function revertVersion(ctx: DeleteContext, dataset: string, x: number): Promise<RevertResult> {
  if (!Number.isSafeInteger(x) || x < 0) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `a revert names a version number, got ${String(x)}`, { dataset });
  for (let attempt = 0; attempt < 8; attempt++) {
    const head = await ctx.log.snapshot(dataset);
    if (x > head.version) throw new StrataError('STRATA_ERR_VERSION_NOT_FOUND', `${dataset} has no version ${x} (its newest is ${head.version})`, { dataset, version: x });
    if (x === 0) throw new StrataError('STRATA_ERR_NOTHING_TO_REVERT', `version 0 created ${dataset}; drop the dataset to undo that`, { dataset, version: 0 });
    const plan = await planRevert(ctx, head, x);
    const result = await ctx.log.commit<RevertResult | null>(dataset, async (now) => {
      // Appends since the plan only add chunks of rows that are not candidates; anything else means plan again.
      for (let v = head.version + 1; v <= now.version; v++) if ((await ctx.log.record(dataset, v)).kind !== 'append') return { done: null };
      const writers = revertWriters(now, plan, x);
      return {
        commit: {
          kind: 'revert', schema: { ...now.schema, columns: plan.columns }, adds: plan.adds, removes: plan.removes,
          rowsAdded: plan.rowsAdded, rowsRemoved: plan.rowsRemoved, revertOf: x, flips: { off: plan.off, on: plan.on },
          writerStates: Object.fromEntries([...writers].map(([w, s]) => [w, storeWriterState(s)])),
        },
        result: (version) => ({ version, revertOf: x, rowsAdded: plan.rowsAdded, rowsRemoved: plan.rowsRemoved, off: plan.off, on: plan.on }),
      };
    });
    if (result) return result;
  }
  throw new StrataError('STRATA_ERR_COMMIT_CONFLICT', `gave up reverting version ${x} of ${dataset}: other commits kept changing it`, { dataset, retryable: true });
}
