/**
 * Deleting rows as a version. The rows a predicate matches at the head are
 * hidden by deletion vectors: each chunk with a match is replaced by a
 * masked ref of the same stored rows, its bitmap written (with those of
 * every other chunk the delete touched) into one new segment. Nothing else
 * is rewritten, so a delete costs about the bitmaps and the predicate's
 * columns, whatever share of the rows it takes; versions before it still
 * read the rows. Compaction writes the kept rows out later.
 *
 * `rewrite` instead copies each touched chunk without the deleted rows
 * (copy-on-write), for measuring the two against each other and for a user
 * who wants the rows gone from the newest chunks at once.
 *
 * The ids of the deleted rows go into the same segment, for a revert.
 * Idempotent with (writer, seq) like an append: the digest is the predicate.
 */
import { createHash } from 'node:crypto';
import type { ChunkRef, EncodedChunk } from '../chunk/chunk.js';
import { checksum, encodeChunk } from '../chunk/chunk.js';
import { isValid, takeRows } from '../chunk/column.js';
import { baseOf, isMasked, keptRows, storedRows } from '../chunk/mask.js';
import { RowSet, encodeRuns, idRuns, takeIds } from '../chunk/row-ids.js';
import { StrataError, isStrataError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { ChunkReader } from '../engine/chunk-reader.js';
import type { DatasetSchema } from '../schema/schema.js';
import type { Store } from '../storage/store.js';
import type { VersionLog } from '../versions/log.js';
import type { Snapshot } from '../versions/snapshot.js';
import type { AppendOptions } from './append.js';
import { checkIdempotency } from './append.js';
import { classifySeq } from './idempotency.js';
import { segmentName, writeSegments } from './segment.js';

/** The rows of each chunk (as its ref shows them) a predicate matches, one flag per row; chunks without a match are absent. */
export type RowMatcher = (snapshot: Snapshot) => Promise<Map<string, Uint8Array>>;

export interface DeleteOptions extends AppendOptions {
  /** Copy touched chunks without the rows instead of masking them. */
  rewrite?: boolean;
}

export interface DeleteResult {
  version: number;
  /** Rows deleted (for a duplicate: by the version that holds the seq; null once a vacuum removed that version). */
  rows: number | null;
  duplicate: boolean;
  /** Chunks the delete touched. */
  chunks: number;
}

export interface DeleteContext {
  store: Store;
  log: VersionLog;
  reader: ChunkReader;
  limits: Limits;
}

/** Planned attempts before giving up to concurrent commits that kept replacing the chunks it matched. */
const attemptsMax = 8;

export function deleteDigest(where: string): string {
  return createHash('sha256').update(`delete\0${where}`).digest('hex').slice(0, 32);
}

/** A mask written into the delete's segment: the parts gathered, the ref pointing at them. */
export interface MaskParts { name: string; parts: Uint8Array[]; bytes: number }

export function place(seg: MaskParts, bytes: Uint8Array): { offset: number; bytes: number; crc: number } {
  const at = { offset: seg.bytes, bytes: bytes.byteLength, crc: checksum(bytes) };
  seg.parts.push(bytes);
  seg.bytes += bytes.byteLength;
  return at;
}

/**
 * A masked ref of `ref` hiding the stored rows set in `bits` (`ref`'s own
 * mask included). Column null counts are made exact for the rows it shows.
 */
export async function maskedRef(ctx: DeleteContext, dataset: string, schema: DatasetSchema, ref: ChunkRef, bits: Uint8Array, shown: number, seg: MaskParts): Promise<ChunkRef> {
  const stored = storedRows(ref);
  const columns: ChunkRef['columns'] = {};
  const storedNulls = ref.mask?.nulls ?? Object.fromEntries(Object.entries(ref.columns).map(([name, m]) => [name, m.nulls]));
  const partial = Object.entries(storedNulls).filter(([, n]) => n > 0 && n < stored).map(([name]) => name);
  const exact = new Map<string, number>();
  if (partial.length > 0) {
    // Decoded as the base chunk stores them, so the count is over exactly the rows the new mask keeps.
    const base: ChunkRef = { ...ref, id: `${baseOf(ref)}\0stored`, rows: stored };
    delete base.mask;
    const values = await ctx.reader.readColumns(dataset, base, schema.columns.filter((c) => partial.includes(c.name)), undefined, false);
    for (const name of partial) {
      const v = values.get(name)!;
      let n = 0;
      for (let i = 0; i < stored; i++) if (!isMasked(bits, i) && !isValid(v.valid, i)) n++;
      exact.set(name, n);
    }
  }
  for (const [name, m] of Object.entries(ref.columns)) {
    const n = storedNulls[name]!;
    columns[name] = { ...m, nulls: n === 0 ? 0 : n === stored ? shown : exact.get(name)! };
  }
  const at = place(seg, bits);
  const id = createHash('sha256').update(`${baseOf(ref)}\0${at.crc}\0${shown}`).digest('hex').slice(0, 32);
  return { ...ref, id, base: baseOf(ref), rows: shown, columns, mask: { segment: seg.name, ...at, stored, nulls: storedNulls } };
}

export async function deleteRows(ctx: DeleteContext, dataset: string, where: string, whereColumns: readonly string[], match: RowMatcher, options: DeleteOptions = {}): Promise<DeleteResult> {
  const { writer, seq } = checkIdempotency(options);
  const digest = deleteDigest(where);
  for (let attempt = 0; attempt < attemptsMax; attempt++) {
    const head = await ctx.log.snapshot(dataset);
    if (writer !== undefined) {
      const c = classifySeq(head, writer, seq!, digest);
      if (c.kind === 'duplicate') {
        const rows = await ctx.log.summary(dataset, c.version).then((s) => s.rowsRemoved, (e: unknown) => { if (isStrataError(e, 'STRATA_ERR_VERSION_VACUUMED')) return null; throw e; });
        return { version: c.version, rows, duplicate: true, chunks: 0 };
      }
    }
    const plan = await planDelete(ctx, head, match, options.rewrite === true);
    const outcome = await ctx.log.commit<DeleteResult | null>(dataset, (now) => {
      // Appends only add chunks; a chunk it matched that is gone was replaced by another commit: plan again.
      if (plan.removes.some((id) => !now.chunks.has(id))) return { done: null };
      if (writer !== undefined) {
        const c = classifySeq(now, writer, seq!, digest);
        if (c.kind === 'duplicate') return { done: null };
      }
      return {
        commit: {
          kind: 'delete', schema: now.schema, adds: plan.adds, removes: plan.removes, rowsAdded: 0, rowsRemoved: plan.rows,
          where, whereColumns: [...whereColumns], ...(plan.deleted ? { deleted: plan.deleted } : {}),
          ...(writer !== undefined ? { writer, seq, digest } : {}),
        },
        result: (version) => ({ version, rows: plan.rows, duplicate: false, chunks: plan.removes.length }),
      };
    });
    if (outcome) return outcome;
  }
  throw new StrataError('STRATA_ERR_COMMIT_CONFLICT', `gave up deleting from ${dataset}: other commits kept replacing the chunks it matched`, { dataset, retryable: true });
}

interface DeletePlan {
  adds: ChunkRef[];
  removes: string[];
  rows: number;
  deleted: { segment: string; offset: number; bytes: number; crc: number } | null;
}

async function planDelete(ctx: DeleteContext, head: Snapshot, match: RowMatcher, rewrite: boolean): Promise<DeletePlan> {
  const dataset = head.dataset;
  const matched = await match(head);
  const seg: MaskParts = { name: segmentName(), parts: [], bytes: 0 };
  const gone = new RowSet();
  let idsKnown = true;
  const adds: ChunkRef[] = [];
  const rewritten: EncodedChunk[] = [];
  const removes: string[] = [];
  let rows = 0;
  for (const [id, flags] of matched) {
    const ref = head.chunks.get(id)!;
    const stored = storedRows(ref);
    const old = await ctx.reader.mask(dataset, ref);
    const shownRows = old ? keptRows(old, stored) : null;
    const bits = old ? new Uint8Array(old) : new Uint8Array(Math.ceil(stored / 8));
    const hit: number[] = [];
    for (let j = 0; j < ref.rows; j++) if (flags[j] === 1) { const s = shownRows ? shownRows[j]! : j; bits[s >>> 3]! |= 1 << (s & 7); hit.push(j); }
    if (hit.length === 0) continue;
    // The ids of the shown rows, from the mask already read above.
    const storedIds = await ctx.reader.rowIds(dataset, ref);
    const ids = storedIds && shownRows ? takeIds(storedIds, shownRows) : storedIds;
    if (ids) for (const j of hit) gone.add(ids.origins[j]!, ids.ordinals[j]!);
    else idsKnown = false;
    rows += hit.length;
    removes.push(id);
    const shown = ref.rows - hit.length;
    if (shown === 0) continue;
    if (!rewrite) { adds.push(await maskedRef(ctx, dataset, head.schema, ref, bits, shown, seg)); continue; }
    // Copy-on-write: the rows it keeps, encoded as a chunk of their own, ids carried over.
    const keep = new Uint32Array(shown);
    let k = 0;
    for (let j = 0; j < ref.rows; j++) if (flags[j] !== 1) keep[k++] = j;
    const values = await ctx.reader.readColumns(dataset, ref, head.schema.columns, undefined, false);
    const cols = new Map([...values].map(([name, v]) => [name, takeRows(v, keep)]));
    const chunk = encodeChunk(cols, ref.partition, ref.key, `delete\0${seg.name}\0${id}`, ctx.limits.statsStringBytesMax);
    if (ref.mixed) chunk.ref.mixed = true;
    if (ids) {
      const runs = idRuns(takeIds(ids, keep));
      if (runs.length === 3) { chunk.ref.origin = runs[0]!; chunk.ref.first = runs[1]!; } else chunk.idRuns = encodeRuns(runs);
    }
    chunk.values.clear();
    rewritten.push(chunk);
  }
  if (rewritten.length > 0) adds.push(...await writeSegments(ctx.store, dataset, rewritten, ctx.limits.segmentBytesMax));
  // A delete that cannot name every row it took (chunks from before rows had ids) cannot be reverted.
  const deleted = idsKnown && rows > 0 ? { segment: seg.name, ...place(seg, gone.encode()) } : null;
  if (seg.parts.length > 0) await ctx.store.putObject(dataset, 'segment', seg.name, Buffer.concat(seg.parts));
  return { adds, removes, rows, deleted };
}
