/**
 * The scan workers' side of an engine aggregate: each worker owns the
 * chunks whose ids hash to it, keeps their decoded columns in its own cache
 * (so a repeated query reads and decodes nothing), and for one query
 * filters and aggregates its chunks into a partial state the main thread
 * merges. A session goes: begin (the worker aggregates what it has cached
 * and answers which columns it lacks), blobs for those (decoded, cached,
 * aggregated as they come), end (the partial state or the first error).
 */
import type { ChunkRef } from '../chunk/chunk.js';
import type { ColumnValues } from '../chunk/column.js';
import type { Column } from '../schema/schema.js';
import type { AggSpec, KeySpec, PartialGroups } from './aggregate.js';
import { GroupAggregator } from './aggregate.js';
import { ChunkCache } from './chunk-cache.js';
import { selectChunkRows } from './chunk-filter.js';
import type { ChunkSelection } from './chunk-filter.js';
import { decodeStored } from './decode.js';
import type { Predicate } from './predicate.js';

/** What a worker needs of a chunk: its id, rows, kind and the metadata of the columns it reads. */
export type WorkerChunk = Pick<ChunkRef, 'id' | 'rows' | 'mixed' | 'columns' | 'mask'>;

export interface AggregateBegin {
  kind: 'agg'; id: number; dataset: string;
  keys: KeySpec[]; aggs: AggSpec[]; sortColumn: string | undefined;
  /** The reads and row filters of mixed chunks (0) and of one partition's chunks (1); `first`: the filter columns. */
  plans: { read: Column[]; rowPredicates: Predicate[]; first: Column[] }[];
  /** `defer`: read the filter columns first, the others only if a row passes. */
  chunks: { ref: WorkerChunk; plan: number; defer: boolean }[];
}
/** The stored bytes of the columns last asked for one chunk, in that order. */
export interface AggregateBlobs { kind: 'agg-blobs'; id: number; chunk: number; blobs: (Uint8Array | undefined)[] }
export interface AggregateEnd { kind: 'agg-end'; id: number }
export type AggregateMessage = AggregateBegin | AggregateBlobs | AggregateEnd;

/** `cache`: the worker's cache since it started (lookups by column), and the bytes it holds now. */
export interface AggregateDone { partial: PartialGroups; rowsSelected: number; filterMs: number; decodeMs: number; deferredSkipped: number; cache: WorkerCacheStats }
export interface WorkerCacheStats { hits: number; misses: number; bytes: number }
/**
 * `missing`: per chunk the columns the worker lacks, and whether they are
 * only its filter columns (then the worker answers their blobs with `more`:
 * the other columns it lacks, none if no row passed).
 */
export type AggregateReply =
  | { id: number; missing: [number, string[], boolean][] }
  | { id: number; chunk: number; more: string[] }
  | { id: number; done: AggregateDone }
  | { id: number; error: { code?: string; message: string; details?: unknown } };

/** A chunk waiting for blobs: the columns in hand (the cache may drop them meanwhile), its rows once filtered, what was asked. */
interface Held { columns: Map<string, ColumnValues>; selected: ChunkSelection | null; asked: string[]; filterOnly: boolean }

interface Session {
  begin: AggregateBegin;
  agg: GroupAggregator;
  held: Map<number, Held>;
  error: unknown;
  rowsSelected: number;
  filterMs: number;
  decodeMs: number;
  deferredSkipped: number;
}

export class AggregateWorker {
  private readonly sessions = new Map<number, Session>();
  private readonly cache: ChunkCache;

  constructor(cacheBytesMax: number) {
    this.cache = new ChunkCache(cacheBytesMax);
  }

  /** Handles one message; returns the reply to send, if any. */
  handle(m: AggregateMessage): AggregateReply | null {
    if (m.kind === 'agg') return this.start(m);
    const s = this.sessions.get(m.id);
    if (!s) return null;
    if (m.kind === 'agg-blobs') {
      const held = s.held.get(m.chunk);
      if (!held) return null;
      const filterOnly = held.filterOnly;
      let more: string[] = [];
      if (s.error === null) {
        try { more = this.blobs(s, m.chunk, held, m.blobs); } catch (e) { s.error = e; more = []; }
      }
      if (more.length === 0) s.held.delete(m.chunk);
      // The main thread waits for an answer to filter columns only; after an error, nothing more is wanted.
      return filterOnly ? { id: m.id, chunk: m.chunk, more: s.error === null ? more : [] } : null;
    }
    this.sessions.delete(m.id);
    if (s.error !== null) throw s.error;
    const cache = { hits: this.cache.hits, misses: this.cache.misses, bytes: this.cache.size };
    return { id: m.id, done: { partial: s.agg.partial(), rowsSelected: s.rowsSelected, filterMs: s.filterMs, decodeMs: s.decodeMs, deferredSkipped: s.deferredSkipped, cache } };
  }

  private start(begin: AggregateBegin): AggregateReply {
    const s: Session = { begin, agg: new GroupAggregator(begin.keys, begin.aggs), held: new Map(), error: null, rowsSelected: 0, filterMs: 0, decodeMs: 0, deferredSkipped: 0 };
    this.sessions.set(begin.id, s);
    const missing: [number, string[], boolean][] = [];
    try {
      for (let i = 0; i < begin.chunks.length; i++) {
        const held: Held = { columns: new Map(), selected: null, asked: [], filterOnly: false };
        const lacking = this.advance(s, i, held);
        if (lacking.length === 0) continue;
        s.held.set(i, held);
        missing.push([i, lacking, held.filterOnly]);
      }
    } catch (e) {
      s.error = e;
    }
    return { id: begin.id, missing };
  }

  /** Columns of chunk `i` found in the cache go into `columns`; the names of those not found come back. */
  private lookup(s: Session, i: number, wanted: readonly Column[], columns: Map<string, ColumnValues>): string[] {
    return this.cache.lookup(s.begin.dataset, s.begin.chunks[i]!.ref, wanted, columns).map((c) => c.name);
  }

  /** Takes chunk `i` as far as the columns in hand allow; returns the columns it still needs (none: it is done). */
  private advance(s: Session, i: number, held: Held): string[] {
    const { plan, defer } = s.begin.chunks[i]!;
    const p = s.begin.plans[plan]!;
    if (defer && held.selected === null) {
      const lacking = this.lookup(s, i, p.first, held.columns);
      held.asked = lacking; held.filterOnly = true;
      if (lacking.length > 0) return lacking;
      held.selected = this.filter(s, i, held.columns);
      if (held.selected.kept === 0) { s.deferredSkipped++; return []; }
    }
    const lacking = this.lookup(s, i, p.read, held.columns);
    held.asked = lacking; held.filterOnly = false;
    if (lacking.length > 0) return lacking;
    const { kept, selection } = held.selected ?? this.filter(s, i, held.columns, true);
    if (kept > 0) {
      s.rowsSelected += kept;
      s.agg.add({ rows: kept, columns: held.columns, selection });
    }
    return [];
  }

  /** `transient`: aggregated at once (a selection kept while other columns are fetched must have its own buffer). */
  private filter(s: Session, i: number, columns: ReadonlyMap<string, ColumnValues>, transient = false): ChunkSelection {
    const { ref, plan } = s.begin.chunks[i]!;
    const t0 = performance.now();
    const chosen = selectChunkRows(ref, columns, s.begin.plans[plan]!.rowPredicates, s.begin.sortColumn, transient);
    s.filterMs += performance.now() - t0;
    return chosen;
  }

  /** Decodes (and caches) the blobs of the columns chunk `i` asked for, and takes it on; returns what it needs next. */
  private blobs(s: Session, i: number, held: Held, blobs: (Uint8Array | undefined)[]): string[] {
    const { ref } = s.begin.chunks[i]!;
    const t0 = performance.now();
    held.asked.forEach((name, j) => {
      const column = s.begin.plans[s.begin.chunks[i]!.plan]!.read.find((c) => c.name === name)!;
      const v = decodeStored(s.begin.dataset, ref as ChunkRef, column, blobs[j], blobs[held.asked.length]);
      this.cache.set(s.begin.dataset, ref.id, name, v);
      held.columns.set(name, v);
    });
    s.decodeMs += performance.now() - t0;
    return this.advance(s, i, held);
  }
}
