/**
 * The facade: one object wiring storage, the version log, ingestion, the
 * write path (src/write) and SQL. The CLI and the HTTP server talk only to
 * this; it holds no logic of its own beyond checking names.
 */
import type { Batch } from '../chunk/batch.js';
import { StrataError, isStrataError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import { resolveLimits } from '../core/limits.js';
import { validateName } from '../core/names.js';
import { ChunkReader } from '../engine/chunk-reader.js';
import { scanSnapshot } from '../engine/scan.js';
import type { ScanOptions } from '../engine/scan.js';
import { aggregateSnapshot } from '../engine/scan-aggregate.js';
import { WorkerPool } from '../engine/worker-pool.js';
import type { BatchInput, InputFormat } from '../ingest/parse.js';
import { parseBatch } from '../ingest/parse.js';
import type { Column, DatasetSchema } from '../schema/schema.js';
import { makeSchema } from '../schema/schema.js';
import type { QueryResult, ScanSource } from '../sql/query.js';
import { QueryRunner } from '../sql/runner.js';
import type { RunOptions, TimedCursor } from '../sql/runner.js';
import { openStore } from '../storage/open.js';
import type { Store } from '../storage/store.js';
import { VersionLog } from '../versions/log.js';
import { addColumn } from '../write/add-column.js';
import { appendBatch, checkIdempotency } from '../write/append.js';
import type { AppendOptions } from '../write/append.js';
import { GroupCommitter } from '../write/group-commit.js';
import type { AppendResult } from '../write/group-commit.js';
import { rollback } from '../write/rollback.js';
import { deleteRows } from '../write/delete.js';
import { revertVersion } from '../write/revert.js';
import type { RevertResult } from '../write/revert.js';
import type { DeleteContext, DeleteOptions, DeleteResult, RowMatcher } from '../write/delete.js';
import { matchChunkRows } from '../engine/row-match.js';
import { matchWithDuckDB, parseDeletePredicate } from '../sql/delete-predicate.js';
import { compact, pendingChunks } from '../write/compaction.js';
import type { CompactionResult } from '../write/compaction.js';
import { Compactor } from '../write/compactor.js';
import { vacuum } from '../write/vacuum.js';
import type { VacuumResult } from '../write/vacuum.js';
import { Vacuumer } from '../write/vacuumer.js';
import type { VacuumTotals } from '../write/vacuumer.js';
import type { CompactionTotals } from '../write/compactor.js';
import { HeadWatcher } from '../versions/watch.js';
import { listTags, removeTag, taggedVersion } from '../versions/tags.js';
import { makeTag } from '../write/tag.js';
import { readRetention, writeRetention } from '../versions/settings.js';
import { deleteReader, listReaders, readReader, validateReader, writeReader } from '../versions/readers.js';
import type { Tag } from '../versions/tags.js';
import type { CommitKind, VersionSummary } from '../versions/record.js';
import type { Snapshot } from '../versions/snapshot.js';

export interface StrataOptions {
  /** A store location (path, `memory:`, URL) or an open store. Default `./strata-data`. */
  store?: string | Store;
  limits?: Partial<Limits>;
}

export interface CreateDatasetInput {
  columns: readonly Column[];
  partitionKey?: readonly string[];
  sortKey?: readonly string[];
  chunkRows?: number;
}

export interface DatasetInfo {
  name: string;
  version: number;
  schema: DatasetSchema;
  rows: number;
  chunks: number;
  partitions: number;
  bytes: number;
  /** Segments (store objects) holding the live chunks. */
  segments: number;
  /** Chunks holding the rows of several small partitions, until compaction sorts them out. */
  mixedChunks: number;
  /** Chunks compaction would rewrite (mixed ones, and small ones of partitions that have several). */
  pendingCompactionChunks: number;
  createdAt: string;
  updatedAt: string;
  /** History its vacuums keep, in ms: its own setting, else the default (vacuumRetainMs). */
  retainMs: number;
  retention: 'dataset' | 'default';
  /** Registered change-feed readers and their lag. */
  readers: ReaderInfo[];
}

export type { AppendOptions, AppendResult };

export interface ReaderInfo {
  name: string;
  /** The newest version it acknowledged. */
  acked: number;
  /** Versions committed after it. */
  lag: number;
  lastAckAt: string;
  /** Whether it holds back vacuum (false once silent for readerHoldMsMax). */
  holding: boolean;
}

export interface WriterInfo {
  writer: string;
  seq: number;
  version: number;
  floor: number;
  kept: number;
}

export interface ChangeInfo extends Omit<VersionInfo, 'tags'> {
  /** Versions whose rows this version took out of the dataset (by a rollback), oldest first. */
  withdrawn: number[];
}

export interface VersionInfo {
  version: number;
  kind: CommitKind;
  time: string;
  rowsAdded: number;
  rowsRemoved: number;
  chunksAdded: number;
  chunksRemoved: number;
  writer: string | null;
  seq: number | null;
  rollbackTo: number | null;
  /** A revert's target. */
  revertOf: number | null;
  /** A delete's predicate. */
  where: string | null;
  /** Batches this version committed (more than one for a group commit). */
  batches: number;
  /** The (writer, seq) of each idempotent batch in this version. */
  appends: { writer: string; seq: number }[];
  /** Tags naming this version. */
  tags: string[];
}

export class Strata {
  readonly limits: Limits;
  readonly store: Store;
  private readonly log: VersionLog;
  private readonly reader: ChunkReader;
  private readonly queries: QueryRunner;
  private readonly watcher: HeadWatcher;
  private pool: WorkerPool | null = null;
  private workerPool(): WorkerPool {
    return (this.pool ??= new WorkerPool(this.limits.scanWorkers, this.limits.scanWorkerCacheBytesMax));
  }
  private readonly committer: GroupCommitter;
  private readonly compactor: Compactor;
  private readonly vacuumer: Vacuumer;

  private constructor(store: Store, limits: Limits) {
    this.store = store;
    this.limits = limits;
    this.queries = new QueryRunner(limits);
    this.watcher = new HeadWatcher((name) => this.log.headVersion(name), limits.feedPollMs);
    this.log = new VersionLog(store, {
      commitRetriesMax: limits.commitRetriesMax, checkpointEveryVersions: limits.checkpointEveryVersions,
      onCommit: (name, version, kind) => {
        this.watcher.committed(name, version);
        if (kind !== 'compact') this.compactor.committed(name);
      },
    });
    this.compactor = new Compactor((name, options) => compact(store, this.log, this.reader, limits, name, options), limits, (m) => process.emitWarning(m, 'StrataWarning'));
    this.vacuumer = new Vacuumer(() => this.listDatasets(), (name) => this.vacuum(name), (m) => process.emitWarning(m, 'StrataWarning'));
    this.reader = new ChunkReader(store, limits.chunkCacheBytesMax);
    // What an append wrote is what the next queries read (a stream's newest rows): its decoded columns go
    // into the chunk cache as they are, so they are not read and decoded again. The cache's LRU bounds it.
    this.committer = new GroupCommitter(store, this.log, limits, (dataset, chunks) => {
      for (const c of chunks) for (const [name, values] of c.values) this.reader.cache.set(dataset, c.ref.id, name, values);
    });
  }

  static async open(options: StrataOptions = {}): Promise<Strata> {
    const limits = resolveLimits(options.limits);
    const store = typeof options.store === 'object' ? options.store : await openStore(options.store ?? process.env.STRATA_STORE ?? undefined, limits);
    return new Strata(store, limits);
  }

  async createDataset(name: string, input: CreateDatasetInput): Promise<DatasetInfo> {
    validateName('dataset', name);
    const schema = makeSchema(input, this.limits);
    const created = await this.log.create({ dataset: name, kind: 'create', schema, adds: [], removes: [], rowsAdded: 0, rowsRemoved: 0 });
    if (!created) throw new StrataError('STRATA_ERR_DATASET_EXISTS', `dataset ${name} already exists`, { dataset: name });
    return this.describe(name);
  }

  listDatasets(): Promise<string[]> {
    return this.store.listDatasets();
  }

  async describe(name: string): Promise<DatasetInfo> {
    validateName('dataset', name);
    const s = await this.log.snapshot(name);
    const [first, own] = await Promise.all([this.log.record(name, 0), readRetention(this.store, name)]);
    let bytes = 0;
    let mixedChunks = 0;
    const partitions = new Set<string>();
    const segments = new Set<string>();
    for (const c of s.chunks.values()) {
      if (c.mixed) mixedChunks++; else partitions.add(c.partition);
      if (c.segment !== undefined) segments.add(c.segment);
      for (const m of Object.values(c.columns)) bytes += m.bytes;
    }
    return {
      name, version: s.version, schema: s.schema, rows: s.rows, chunks: s.chunks.size, partitions: partitions.size, bytes,
      segments: segments.size, mixedChunks, pendingCompactionChunks: pendingChunks(s),
      createdAt: new Date(first.time).toISOString(), updatedAt: new Date(s.time).toISOString(),
      retainMs: own ?? this.limits.vacuumRetainMs, retention: own === null ? 'default' : 'dataset',
      readers: await this.readers(name),
    };
  }

  async drop(name: string): Promise<void> {
    validateName('dataset', name);
    const existed = await this.store.dropDataset(name);
    this.log.forget(name);
    if (!existed) throw new StrataError('STRATA_ERR_DATASET_NOT_FOUND', `no dataset named ${name}`, { dataset: name });
  }

  snapshot(name: string, version?: number): Promise<Snapshot> {
    validateName('dataset', name);
    return this.log.snapshot(name, version);
  }

  /** Parses, validates and appends a whole batch; nothing is written unless all of it is valid. */
  async ingest(name: string, input: BatchInput, format: InputFormat, options: AppendOptions & { onBytes?: (n: number) => void } = {}): Promise<AppendResult> {
    validateName('dataset', name);
    checkIdempotency(options);
    // The schema to parse with: the head this process knows is enough (a commit finds out if it changed since).
    const head = await this.log.knownHead(name);
    const batch = await parseBatch(input, format, { dataset: name, schema: head.schema, limits: this.limits, onBytes: options.onBytes });
    return this.append(name, batch, options, head.schema);
  }

  /** Parses and checks a batch against the dataset's schema, writing nothing (a source sorting good records from bad ones). */
  async parse(name: string, input: BatchInput, format: InputFormat, options: { offThread?: boolean } = {}): Promise<{ batch: Batch; schema: DatasetSchema }> {
    validateName('dataset', name);
    const head = await this.log.knownHead(name);
    // Bytes in hand may be parsed in a worker (the bytes move there: the caller must not use them after).
    if (options.offThread && input instanceof Uint8Array && this.limits.scanWorkers > 0) {
      return { batch: await this.workerPool().parse(name, head.schema, this.limits, format, input), schema: head.schema };
    }
    return { batch: await parseBatch(input, format, { dataset: name, schema: head.schema, limits: this.limits }), schema: head.schema };
  }

  /** Appends a validated batch (its columns must follow `schema`, the head schema it was parsed with). */
  append(name: string, batch: Batch, options: AppendOptions, schema: DatasetSchema): Promise<AppendResult> {
    return appendBatch(this.committer, name, batch, options, schema);
  }

  async versions(name: string): Promise<VersionInfo[]> {
    validateName('dataset', name);
    const head = await this.log.headVersion(name);
    const tags = new Map<number, string[]>();
    for (const t of await listTags(this.store, name)) tags.set(t.version, [...(tags.get(t.version) ?? []), t.name]);
    const info = async (v: number): Promise<VersionInfo> => ({ ...versionInfo(await this.log.summary(name, v)), tags: tags.get(v) ?? [] });
    const out: VersionInfo[] = [await info(0)];
    // Versions before the horizon were vacuumed but the tagged ones (the horizon and those live on as checkpoints).
    const horizon = await this.log.horizon(name);
    for (const v of await this.log.keptBeforeHorizon(name, horizon)) out.push(await info(v));
    for (let v = horizon; v <= head; v++) out.push(await info(v));
    return out;
  }

  /**
   * Calls `onHead` whenever the dataset's head moves beyond `seen` (at once for this process's
   * commits, within feedPollMs for others'); `onError` when the dataset is dropped. Returns the way to stop.
   */
  watch(name: string, seen: number, onHead: (head: number) => void, onError: (e: Error) => void): () => void {
    validateName('dataset', name);
    return this.watcher.watch(name, seen, onHead, onError);
  }

  /**
   * Where a writer stands at the head: its newest committed seq (and the
   * version holding it), its floor (seqs at or below it are refused as too
   * old), and how many seqs are kept exactly. Null for a writer with no seq
   * in the current history. A writer resumes after `seq`.
   */
  async writer(name: string, writer: string): Promise<WriterInfo | null> {
    validateName('dataset', name);
    const s = (await this.log.snapshot(name)).writers.get(writer);
    return s ? { writer, seq: s.seq, version: s.version, floor: s.floor, kept: s.seqs.size } : null;
  }

  /** The newest version of a dataset. */
  headVersion(name: string): Promise<number> {
    validateName('dataset', name);
    return this.log.headVersion(name);
  }

  /**
   * What version `v` changed, for change feeds: its summary, and for a rollback the versions
   * whose rows it withdrew (for a revert, the versions it withdrew).
   */
  async change(name: string, v: number): Promise<ChangeInfo> {
    validateName('dataset', name);
    const summary = await this.log.summary(name, v);
    const horizon = await this.log.horizon(name);
    if (summary.kind === 'revert' && v > horizon) return { ...versionInfo(summary), withdrawn: (await this.log.record(name, v)).flips?.off ?? [] };
    // Only a rollback withdraws versions by removing their chunks (a compaction or a delete replaces chunks). Versions before the horizon are gone.
    const removed = new Set(summary.kind !== 'rollback' || v <= horizon ? [] : (await this.log.record(name, v)).removes);
    const withdrawn: number[] = [];
    for (let w = v - 1; w > horizon && removed.size > 0; w--) {
      const adds = (await this.log.record(name, w)).adds.filter((c) => removed.delete(c.id));
      if (adds.length > 0) withdrawn.push(w);
    }
    return { ...versionInfo(summary), withdrawn: withdrawn.reverse() };
  }

  /** A new version whose snapshot (chunks, schema, writer states) equals version `to`'s. */
  rollback(name: string, to: number): Promise<{ version: number }> {
    validateName('dataset', name);
    return rollback(this.log, name, to);
  }

  /**
   * Deletes the rows a predicate (DuckDB's dialect, over the dataset's own
   * columns) matches at the head, as a new version; earlier versions still
   * read them. Idempotent with (writer, seq).
   */
  async delete(name: string, where: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    validateName('dataset', name);
    const source = this.scanSource();
    const p = await parseDeletePredicate(this.queries, source, await this.log.snapshot(name), where);
    const match: RowMatcher = (s) => (p.exact ? matchChunkRows(this.reader, s, p.predicates) : matchWithDuckDB(this.queries, source, s, p));
    return deleteRows(this.writeContext(), name, where, p.columns, match, options);
  }

  /**
   * A new version that withdraws exactly what version `version` did and
   * keeps every later version (see write/revert.ts for the rules).
   */
  revert(name: string, version: number): Promise<RevertResult> {
    validateName('dataset', name);
    return revertVersion(this.writeContext(), name, version);
  }

  private writeContext(): DeleteContext {
    return { store: this.store, log: this.log, reader: this.reader, limits: this.limits };
  }

  /** Names a version (the head when omitted); a tagged version is never vacuumed. */
  tag(name: string, tag: string, version?: number): Promise<Tag> {
    validateName('dataset', name);
    return makeTag(this.store, this.log, name, tag, version);
  }

  /** Removes a tag (the version it named is vacuumed like any other from then on). */
  async untag(name: string, tag: string): Promise<Tag> {
    validateName('dataset', name);
    await this.log.headVersion(name);
    return removeTag(this.store, name, tag);
  }

  /** A dataset's tags, by version. */
  async tags(name: string): Promise<Tag[]> {
    validateName('dataset', name);
    await this.log.headVersion(name);
    return listTags(this.store, name);
  }

  /**
   * Compacts a dataset now: its mixed chunks and small chunks rewritten into
   * sorted chunks of their own partitions, as a `compact` version (no answer
   * changes at any version). `full: false` does only what a running stream's
   * background compaction would.
   */
  compact(name: string, options: { full?: boolean } = {}): Promise<CompactionResult> {
    validateName('dataset', name);
    return this.compactor.compact(name, { full: options.full ?? true });
  }

  /**
   * Deletes what no version within `retainMs` (default vacuumRetainMs) needs: unreferenced segments
   * older than `graceMs` (default vacuumGraceMs), version records and checkpoints before the horizon.
   */
  async vacuum(name: string, options: { retainMs?: number; graceMs?: number } = {}): Promise<VacuumResult> {
    validateName('dataset', name);
    const retainMs = options.retainMs ?? (await readRetention(this.store, name)) ?? this.limits.vacuumRetainMs;
    // Registered readers hold back the horizon to what they acknowledged, unless silent past readerHoldMsMax.
    const holding = (await this.readers(name)).filter((r) => r.holding);
    const holdAt = holding.length > 0 ? Math.min(...holding.map((r) => r.acked)) : undefined;
    return vacuum(this.store, this.log, name, { retainMs, graceMs: options.graceMs ?? this.limits.vacuumGraceMs, ...(holdAt !== undefined ? { holdAt } : {}) });
  }

  /** The dataset's registered change-feed readers: what each acknowledged, how far behind the head, whether it holds back vacuum. */
  async readers(name: string): Promise<ReaderInfo[]> {
    validateName('dataset', name);
    const head = await this.log.headVersion(name);
    const now = Date.now();
    return (await listReaders(this.store, name)).map((c) => ({
      name: c.name, acked: c.acked, lag: Math.max(0, head - c.acked), lastAckAt: new Date(c.time).toISOString(),
      holding: this.limits.readerHoldMsMax > 0 && now - c.time <= this.limits.readerHoldMsMax,
    }));
  }

  /**
   * Where a reader's feed starts: after what it acknowledged, or (a new
   * reader, registered now) at `from`, else after the head. `behind` names
   * the versions it can no longer get (vacuumed while it was away); the
   * feed then starts after the horizon.
   */
  async openReader(name: string, reader: string, from?: number): Promise<{ next: number; behind: { from: number; to: number } | null }> {
    validateName('dataset', name);
    validateReader(reader, name);
    const head = await this.log.headVersion(name);
    let cursor = await readReader(this.store, name, reader);
    if (!cursor) {
      cursor = { name: reader, acked: Math.min(from ?? head + 1, head + 1) - 1, time: Date.now() };
      await writeReader(this.store, name, cursor);
    }
    const next = cursor.acked + 1;
    const horizon = await this.log.horizon(name);
    // The horizon's own record is gone too (it lives on as a checkpoint): it cannot be sent as a change.
    if (horizon > 1 && next <= horizon) return { next: horizon + 1, behind: { from: next, to: horizon } };
    return { next, behind: null };
  }

  /** A reader acknowledges it processed everything up to `version` (acknowledgements only move forward). */
  async ackReader(name: string, reader: string, version: number): Promise<ReaderInfo> {
    validateName('dataset', name);
    validateReader(reader, name);
    const head = await this.log.headVersion(name);
    if (!Number.isSafeInteger(version) || version < 0 || version > head) {
      throw new StrataError('STRATA_ERR_VERSION_NOT_FOUND', `${name} has versions 0 to ${head}; cannot acknowledge ${String(version)}`, { dataset: name, version });
    }
    const cursor = await readReader(this.store, name, reader);
    if (!cursor) throw new StrataError('STRATA_ERR_READER_NOT_FOUND', `${name} has no reader ${reader}; open its feed with ?reader=${reader} first`, { dataset: name, reader });
    await writeReader(this.store, name, { name: reader, acked: Math.max(cursor.acked, version), time: Date.now() });
    return (await this.readers(name)).find((r) => r.name === reader)!;
  }

  /** Forgets a reader: it no longer holds back vacuum. */
  async dropReader(name: string, reader: string): Promise<void> {
    validateName('dataset', name);
    validateReader(reader, name);
    await this.log.headVersion(name);
    if (!(await readReader(this.store, name, reader))) throw new StrataError('STRATA_ERR_READER_NOT_FOUND', `${name} has no reader ${reader}`, { dataset: name, reader });
    await deleteReader(this.store, name, reader);
  }

  /** Sets how much history the dataset's vacuums keep (ms), or with null goes back to the default (vacuumRetainMs). */
  async setRetention(name: string, retainMs: number | null): Promise<DatasetInfo> {
    validateName('dataset', name);
    await this.log.headVersion(name);
    await writeRetention(this.store, name, retainMs);
    return this.describe(name);
  }

  /**
   * Vacuums every dataset each `vacuumEveryMs` from now on (as `strata serve` does), with the
   * default retention; tagged versions are kept. Stops with close().
   */
  startAutoVacuum(): void {
    this.vacuumer.start(this.limits.vacuumEveryMs);
  }

  /** What automatic vacuum did since this database was opened. */
  vacuumTotals(): Readonly<VacuumTotals> {
    return this.vacuumer.totals;
  }

  /** What background and on-demand compaction did since this database was opened. */
  compactionTotals(): Readonly<CompactionTotals> {
    return this.compactor.totals;
  }

  addColumn(name: string, column: Column): Promise<{ version: number }> {
    validateName('dataset', name);
    return addColumn(this.log, this.limits, name, column);
  }

  /**
   * Runs one read-only SELECT; datasets are tables, `AT (VERSION => n)` / `AT (TIMESTAMP => t)` travel in time.
   * `pushdown: false` scans everything and `engine: false` leaves aggregation to DuckDB (answers are the
   * same; the switches exist to prove that).
   */
  sql(text: string, options: RunOptions & { delta?: { dataset: string; version: number } } = {}): Promise<QueryResult> {
    return this.queries.run(this.scanSource(options.delta), text, options);
  }

  /** Like `sql`, but the answer is read batch by batch (the caller must close the cursor). */
  query(text: string, options: RunOptions = {}): Promise<TimedCursor> {
    return this.queries.open(this.scanSource(), text, options);
  }

  /** Queries running or waiting for their turn. */
  queryDepth(): number {
    return this.queries.depth;
  }

  /** With `delta`, that dataset reads as only the rows its version `delta.version` added (continuous queries). */
  private scanSource(delta?: { dataset: string; version: number }): ScanSource {
    return {
      head: async (dataset) => {
        try {
          if (delta?.dataset === dataset) {
            const [at, r] = await Promise.all([this.log.snapshot(dataset, delta.version), this.log.record(dataset, delta.version)]);
            // The rows a version appended: a compaction rewrote rows that were there already, and the chunks
            // of a delete or a revert show rows that were there (or were once) again: none of them appends any.
            const adds = r.kind === 'compact' || r.kind === 'delete' || r.kind === 'revert' ? [] : r.adds;
            return { ...at, chunks: new Map(adds.map((c) => [c.id, c])), rows: adds.reduce((n, c) => n + c.rows, 0) };
          }
          return await this.log.snapshot(dataset);
        } catch (e) { if (isStrataError(e, 'STRATA_ERR_DATASET_NOT_FOUND')) return null; throw e; }
      },
      snapshot: (dataset, version) => this.log.snapshot(dataset, version),
      versionAt: (dataset, time) => this.log.versionAt(dataset, time),
      tagVersion: (dataset, tag) => taggedVersion(this.store, dataset, tag),
      datasets: () => this.store.listDatasets(),
      scan: (snapshot, columns, predicates, hints) => scanSnapshot(this.reader, snapshot, columns, predicates, this.scanOptions(hints)),
      aggregate: (snapshot, columns, predicates, keys, aggs, hints) => aggregateSnapshot(this.reader, snapshot, columns, predicates, keys, aggs, this.scanOptions(hints)),
    };
  }

  private scanOptions(hints?: { lastBy?: string; rowsOnly?: boolean }): ScanOptions {
    return {
      readsInFlightMax: this.limits.scanReadsInFlightMax,
      ...(hints?.lastBy ? { lastBy: hints.lastBy } : {}),
      ...(hints?.rowsOnly ? { rowsOnly: true } : {}),
      ...(this.limits.scanWorkers > 0 ? { workers: { pool: () => this.workerPool(), rowsMin: this.limits.scanWorkerRowsMin } } : {}),
    };
  }

  /** Scan workers decoding or aggregating right now (0 when the pool has not started). */
  scanWorkersBusy(): number {
    return this.pool?.busy() ?? 0;
  }

  /** Decoded-chunk cache counters since this database was opened: the main thread's, and the scan workers' (engine aggregates). */
  cacheStats(): { hits: number; misses: number; bytes: number; workers: { hits: number; misses: number; bytes: number } } {
    const workers = this.pool?.cacheStats() ?? { hits: 0, misses: 0, bytes: 0 };
    return { hits: this.reader.cache.hits, misses: this.reader.cache.misses, bytes: this.reader.cache.size, workers };
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
    await this.vacuumer.close();
    await this.compactor.close();
    await this.queries.close();
    this.watcher.close();
    await this.log.close();
    await this.store.close();
  }
}

function versionInfo(r: VersionSummary): Omit<VersionInfo, 'tags'> {
  // One idempotent batch is shown as the version's writer and seq.
  const single = (r.kind === 'append' || r.kind === 'delete') && r.appends.length === 1 && (r.batches ?? 1) === 1 ? r.appends[0]! : null;
  return {
    version: r.version, kind: r.kind, time: new Date(r.time).toISOString(), rowsAdded: r.rowsAdded, rowsRemoved: r.rowsRemoved,
    chunksAdded: r.chunksAdded, chunksRemoved: r.chunksRemoved, writer: single?.writer ?? null, seq: single?.seq ?? null, rollbackTo: r.rollbackTo ?? null,
    revertOf: r.revertOf ?? null, where: r.where ?? null,
    batches: r.kind === 'append' ? (r.batches ?? (r.appends.length || 1)) : 0, appends: r.appends,
  };
}
