/**
 * The facade: one object wiring storage, the version log, ingestion and SQL.
 * The CLI and (later) the HTTP server talk only to this.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Batch } from '../chunk/batch.js';
import type { EncodedChunk } from '../chunk/chunk.js';
import { chunkBatch } from '../chunk/chunk.js';
import { StrataError, isStrataError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import { resolveLimits } from '../core/limits.js';
import { validateName, validateSeq, validateWriter } from '../core/names.js';
import { ChunkReader } from '../engine/chunk-reader.js';
import { scanSnapshot } from '../engine/scan.js';
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
import { bucketOf } from '../storage/store.js';
import { VersionLog } from '../versions/log.js';
import { HeadWatcher } from '../versions/watch.js';
import type { CommitKind, VersionRecord } from '../versions/record.js';
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
  createdAt: string;
  updatedAt: string;
}

export interface AppendOptions {
  writer?: string;
  seq?: number;
}

export interface AppendResult {
  version: number;
  rows: number;
  duplicate: boolean;
  chunks: number;
}

export interface ChangeInfo extends VersionInfo {
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
  /** Batches this version committed (more than one for a group commit). */
  batches: number;
  /** The (writer, seq) of each idempotent batch in this version. */
  appends: { writer: string; seq: number }[];
}

interface PendingAppend {
  writer: string | undefined;
  seq: number | undefined;
  digest: string;
  chunks: EncodedChunk[];
  rows: number;
  /** Columns of the schema the batch was parsed with. */
  columns: number;
  resolve: (r: AppendResult) => void;
  reject: (e: Error) => void;
}

export class Strata {
  readonly limits: Limits;
  readonly store: Store;
  private readonly log: VersionLog;
  private readonly reader: ChunkReader;
  private readonly queries: QueryRunner;
  private readonly watcher: HeadWatcher;
  private pool: WorkerPool | null = null;
  /** Appends waiting for their group commit, per dataset. */
  private readonly pending = new Map<string, PendingAppend[]>();

  private constructor(store: Store, limits: Limits) {
    this.store = store;
    this.limits = limits;
    this.queries = new QueryRunner(limits);
    this.watcher = new HeadWatcher((name) => this.log.headVersion(name), limits.feedPollMs);
    this.log = new VersionLog(store, limits.commitRetriesMax, (name, version) => this.watcher.committed(name, version));
    this.reader = new ChunkReader(store, limits.chunkCacheBytesMax);
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
    const first = await this.log.record(name, 0);
    let bytes = 0;
    const partitions = new Set<string>();
    for (const c of s.chunks.values()) {
      partitions.add(c.partition);
      for (const m of Object.values(c.columns)) bytes += m.bytes;
    }
    return {
      name, version: s.version, schema: s.schema, rows: s.rows, chunks: s.chunks.size, partitions: partitions.size, bytes,
      createdAt: new Date(first.time).toISOString(), updatedAt: new Date(s.time).toISOString(),
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
    const head = await this.log.snapshot(name);
    const batch = await parseBatch(input, format, { dataset: name, schema: head.schema, limits: this.limits, onBytes: options.onBytes });
    return this.append(name, batch, options, head.schema);
  }

  /** Appends a validated batch (its columns must follow `schema`, the head schema it was parsed with). */
  async append(name: string, batch: Batch, options: AppendOptions, schema: DatasetSchema): Promise<AppendResult> {
    const { writer, seq } = checkIdempotency(options);
    if (batch.rows === 0) throw new StrataError('STRATA_ERR_EMPTY_BATCH', `the batch for ${name} has no rows; nothing was written`, { dataset: name });
    const salt = writer !== undefined ? `${writer}\0${seq!}` : randomBytes(16).toString('hex');
    const chunks = chunkBatch(batch, schema, salt, this.limits.statsStringBytesMax);
    const digest = batchDigest(chunks, batch.rows);
    if (writer !== undefined) {
      // Answer a plain retry before writing anything.
      const dup = await this.checkDuplicate(name, await this.log.snapshot(name), writer, seq!, digest);
      if (dup !== null) return { version: dup, rows: batch.rows, duplicate: true, chunks: 0 };
    }
    await this.writeChunks(name, chunks);
    return new Promise<AppendResult>((resolve, reject) => {
      const queue = this.pending.get(name) ?? [];
      queue.push({ writer, seq, digest, chunks, rows: batch.rows, columns: schema.columns.length, resolve, reject });
      this.pending.set(name, queue);
      if (queue.length === 1) void this.commitGroups(name);
    });
  }

  /**
   * Group commit: batches that arrive while a commit is in progress wait and
   * are then committed together as one version, each keeping its own
   * (writer, seq) idempotency. One committer runs per dataset in a process.
   */
  private async commitGroups(name: string): Promise<void> {
    for (;;) {
      const queue = this.pending.get(name) ?? [];
      if (queue.length === 0) { this.pending.delete(name); return; }
      const group = queue.slice(0, this.limits.groupCommitBatchesMax);
      let outcome: (AppendResult | StrataError | null)[] = [];
      try {
        await this.log.commit<void>(name, async (head) => {
          // Classified again on every attempt: a lost race means a new head to check against.
          outcome = [];
          const taken = new Map<string, { seq: number; digest: string }>();
          for (const p of group) {
            if (head.schema.columns.length !== p.columns) {
              outcome.push(new StrataError('STRATA_ERR_COMMIT_CONFLICT', `the schema of ${name} changed while the batch was being written; send it again`, { dataset: name, retryable: true }));
              continue;
            }
            if (p.writer !== undefined) {
              const earlier = taken.get(p.writer);
              if (earlier && p.seq! <= earlier.seq) {
                // The same writer twice in one group: only a true retry of the batch before it is a duplicate.
                // version -1: filled in below with the version of the batch it repeats.
                outcome.push(p.seq === earlier.seq && p.digest === earlier.digest
                  ? { version: -1, rows: p.rows, duplicate: true, chunks: 0 }
                  : new StrataError('STRATA_ERR_SEQ_CONFLICT', `writer ${p.writer} sent seq ${String(p.seq)} again with different content, or behind a seq it sent at the same time`, { dataset: name, writer: p.writer, seq: p.seq }));
                continue;
              }
              try {
                const dup = await this.checkDuplicate(name, head, p.writer, p.seq!, p.digest);
                if (dup !== null) { outcome.push({ version: dup, rows: p.rows, duplicate: true, chunks: 0 }); continue; }
              } catch (e) { outcome.push(e as StrataError); continue; }
              taken.set(p.writer, { seq: p.seq!, digest: p.digest });
            }
            outcome.push(null);
          }
          const accepted = group.filter((_, i) => outcome[i] === null);
          if (accepted.length === 0) return { done: undefined };
          const ids = accepted.filter((p) => p.writer !== undefined).map((p) => ({ writer: p.writer!, seq: p.seq!, digest: p.digest }));
          return {
            commit: {
              kind: 'append', schema: head.schema, adds: accepted.flatMap((p) => p.chunks.map((c) => c.ref)), removes: [],
              rowsAdded: accepted.reduce((n, p) => n + p.rows, 0), rowsRemoved: 0,
              ...(accepted.length === 1 && ids.length === 1 ? ids[0]! : ids.length > 0 ? { appends: ids } : {}),
            },
            result: (version) => {
              outcome = outcome.map((o, i) => (o === null ? { version, rows: group[i]!.rows, duplicate: false, chunks: group[i]!.chunks.length } : o));
            },
          };
        });
      } catch (e) {
        outcome = group.map(() => e as StrataError);
      }
      // A duplicate of a batch committed in this same group holds that batch's version.
      const versionOf = new Map<string, number>();
      group.forEach((p, i) => { const o = outcome[i]; if (p.writer !== undefined && o && !(o instanceof Error) && !o.duplicate) versionOf.set(`${p.writer}\0${String(p.seq)}`, o.version); });
      group.forEach((p, i) => {
        const o = outcome[i];
        if (o instanceof Error) p.reject(o);
        else if (o) p.resolve(o.version === -1 ? { ...o, version: versionOf.get(`${p.writer!}\0${String(p.seq)}`) ?? -1 } : o);
        else p.reject(new StrataError('STRATA_ERR_INTERNAL', 'a batch of a group commit got no outcome'));
      });
      queue.splice(0, group.length);
    }
  }

  /** The version holding (writer, seq) if it is already committed; throws when it was committed with other content. */
  private async checkDuplicate(name: string, head: Snapshot, writer: string, seq: number, digest: string): Promise<number | null> {
    const pos = head.writers.get(writer);
    if (!pos || seq > pos.seq) return null;
    const found = seq === pos.seq ? { version: pos.version, digest: pos.digest } : await this.log.findAppend(name, writer, seq, head.version);
    if (found && found.digest !== digest) {
      throw new StrataError('STRATA_ERR_SEQ_CONFLICT', `writer ${writer} already committed seq ${seq} (version ${found.version}) with different content; a retry must send the same batch`, { dataset: name, version: found.version, writer, seq });
    }
    // A seq below the writer's position that no version holds (a gap) is behind the writer: nothing to write.
    return found?.version ?? pos.version;
  }

  private async writeChunks(name: string, chunks: EncodedChunk[]): Promise<void> {
    const bucket = bucketOf(Date.now());
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunks.length) {
        const c = chunks[next++]!;
        c.ref.bucket = bucket;
        await this.store.putChunk({ dataset: name, partition: c.ref.partition, chunk: c.ref.id, bucket }, c.blobs);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.limits.chunkWritesInFlightMax, chunks.length) }, worker));
  }

  async versions(name: string): Promise<VersionInfo[]> {
    validateName('dataset', name);
    const head = await this.log.headVersion(name);
    const out: VersionInfo[] = [];
    for (let v = 0; v <= head; v++) out.push(versionInfo(await this.log.record(name, v)));
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

  /** The newest version of a dataset. */
  headVersion(name: string): Promise<number> {
    validateName('dataset', name);
    return this.log.headVersion(name);
  }

  /**
   * What version `v` changed, for change feeds: its summary, and for a commit that removed
   * chunks (a rollback), the versions whose rows it withdrew.
   */
  async change(name: string, v: number): Promise<ChangeInfo> {
    validateName('dataset', name);
    const r = await this.log.record(name, v);
    const removed = new Set(r.removes);
    const withdrawn: number[] = [];
    for (let w = v - 1; w >= 1 && removed.size > 0; w--) {
      const adds = (await this.log.record(name, w)).adds.filter((c) => removed.delete(c.id));
      if (adds.length > 0) withdrawn.push(w);
    }
    return { ...versionInfo(r), withdrawn: withdrawn.reverse() };
  }

  /** A new version whose snapshot (chunks, schema, writer positions) equals version `to`'s. */
  async rollback(name: string, to: number): Promise<{ version: number }> {
    validateName('dataset', name);
    if (!Number.isSafeInteger(to) || to < 0) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `rollback target must be a version number, got ${String(to)}`, { dataset: name });
    const target = await this.log.snapshot(name, to);
    return this.log.commit(name, (head) => {
      const adds = [...target.chunks.values()].filter((c) => !head.chunks.has(c.id));
      const removed = [...head.chunks.values()].filter((c) => !target.chunks.has(c.id));
      return {
        commit: {
          kind: 'rollback', schema: target.schema, adds, removes: removed.map((c) => c.id),
          rowsAdded: adds.reduce((n, c) => n + c.rows, 0), rowsRemoved: removed.reduce((n, c) => n + c.rows, 0),
          writers: Object.fromEntries(target.writers), rollbackTo: to,
        },
        result: (version) => ({ version }),
      };
    });
  }

  async addColumn(name: string, column: Column): Promise<{ version: number }> {
    validateName('dataset', name);
    return this.log.commit(name, (head) => {
      if (head.schema.columns.some((c) => c.name === column.name)) {
        throw new StrataError('STRATA_ERR_COLUMN_EXISTS', `${name} already has a column ${column.name}`, { dataset: name, column: column.name });
      }
      const schema = makeSchema({ ...head.schema, columns: [...head.schema.columns, column] }, this.limits);
      return { commit: { kind: 'add_column', schema, adds: [], removes: [], rowsAdded: 0, rowsRemoved: 0 }, result: (version) => ({ version }) };
    });
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
            return { ...at, chunks: new Map(r.adds.map((c) => [c.id, c])), rows: r.rowsAdded };
          }
          return await this.log.snapshot(dataset);
        } catch (e) { if (isStrataError(e, 'STRATA_ERR_DATASET_NOT_FOUND')) return null; throw e; }
      },
      snapshot: (dataset, version) => this.log.snapshot(dataset, version),
      versionAt: (dataset, time) => this.log.versionAt(dataset, time),
      datasets: () => this.store.listDatasets(),
      scan: (snapshot, columns, predicates) => scanSnapshot(this.reader, snapshot, columns, predicates, {
        readsInFlightMax: this.limits.scanReadsInFlightMax,
        ...(this.limits.scanWorkers > 0 ? { workers: { pool: () => (this.pool ??= new WorkerPool(this.limits.scanWorkers)), rowsMin: this.limits.scanWorkerRowsMin } } : {}),
      }),
    };
  }

  /** Scan workers decoding right now (0 when the pool has not started). */
  scanWorkersBusy(): number {
    return this.pool?.busy() ?? 0;
  }

  /** Decoded-chunk cache counters since this database was opened. */
  cacheStats(): { hits: number; misses: number; bytes: number } {
    return { hits: this.reader.cache.hits, misses: this.reader.cache.misses, bytes: this.reader.cache.size };
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
    await this.queries.close();
    this.watcher.close();
    await this.store.close();
  }
}

function versionInfo(r: VersionRecord): VersionInfo {
  return {
    version: r.version, kind: r.kind, time: new Date(r.time).toISOString(), rowsAdded: r.rowsAdded, rowsRemoved: r.rowsRemoved,
    chunksAdded: r.adds.length, chunksRemoved: r.removes.length, writer: r.writer ?? null, seq: r.seq ?? null, rollbackTo: r.rollbackTo ?? null,
    batches: r.kind === 'append' ? (r.appends?.length ?? 1) : 0, appends: r.appends?.map(({ writer, seq }) => ({ writer, seq })) ?? (r.writer !== undefined ? [{ writer: r.writer, seq: r.seq! }] : []),
  };
}

function checkIdempotency(options: AppendOptions): { writer?: string; seq?: number } {
  if ((options.writer === undefined) !== (options.seq === undefined)) {
    throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', 'writer and seq go together: give both for an idempotent append, or neither');
  }
  if (options.writer === undefined) return {};
  return { writer: validateWriter(options.writer), seq: validateSeq(options.seq!) };
}

/** Digest of a batch's content (not its ids), to tell a true retry from a different batch under the same seq. */
function batchDigest(chunks: EncodedChunk[], rows: number): string {
  // Content hashes cover column names and bytes of the non-empty columns, so the digest does not depend on the schema's other columns.
  const h = createHash('sha256').update(`${rows}`);
  for (const hash of chunks.map((c) => c.contentHash).sort()) h.update(hash);
  return h.digest('hex').slice(0, 32);
}
