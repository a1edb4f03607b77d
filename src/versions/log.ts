/**
 * The version log of each dataset: reading history, building snapshots, and
 * committing with optimistic concurrency.
 *
 * A commit reads the head snapshot, lets the caller plan a record on it, and
 * puts version head+1 if absent. Losing the race (another writer took that
 * version) re-reads the new head and plans again, so concurrent writers never
 * overwrite each other and every plan sees the state it commits on top of
 * (an idempotency check included).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { assert } from '../core/assert.js';
import { StrataError } from '../core/errors.js';
import type { Store } from '../storage/store.js';
import type { VersionRecord, VersionSummary } from './record.js';
import { decodeRecord, encodeRecord, summarize } from './record.js';
import type { Checkpoint } from './checkpoint.js';
import { checkpointName, decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import type { Snapshot } from './snapshot.js';
import { readHorizonMarker } from './horizon.js';
import { applyRecord, cloneSnapshot } from './snapshot.js';
import { listTags } from './tags.js';

/** What a planner returns: a record to commit, or a result that needs no commit. */
export type Plan<T> =
  | { commit: Omit<VersionRecord, 'format' | 'dataset' | 'version' | 'time'>; result: (version: number) => T }
  | { done: T };

interface DatasetCache {
  records: Map<number, VersionRecord>;
  head: Snapshot | null;
  /** Version 0 as stored: if it changes, the dataset was dropped and created again elsewhere. */
  created: Buffer | null;
  /** Versions with a checkpoint, as last listed (null: not listed yet). */
  checkpoints: number[] | null;
  /** The store's versions stamp taken before the last head read, and the head that read found. */
  stamp: { stamp: string; head: number } | null;
}

export interface VersionLogOptions {
  /** Times a commit re-reads the head and retries after losing the race. */
  commitRetriesMax: number;
  /** A checkpoint is written after every commit of a version that is a multiple of this. */
  checkpointEveryVersions: number;
  /** Hears of every version this log commits (change feeds and compaction listen). */
  onCommit?: (dataset: string, version: number, kind: VersionRecord['kind']) => void;
  /** Hears of a checkpoint that could not be written or read (the log goes on without it). */
  onWarning?: (message: string) => void;
}

export class VersionLog {
  private readonly caches = new Map<string, DatasetCache>();

  constructor(private readonly store: Store, private readonly options: VersionLogOptions) {}

  private cache(dataset: string): DatasetCache {
    let c = this.caches.get(dataset);
    if (!c) { c = { records: new Map(), head: null, created: null, checkpoints: null, stamp: null }; this.caches.set(dataset, c); }
    return c;
  }

  private warn(message: string): void {
    (this.options.onWarning ?? ((m: string) => process.emitWarning(m, 'StrataWarning')))(message);
  }

  /** Versions that have a checkpoint, ascending (listed once per process, then kept up to date by this log). */
  private async checkpoints(dataset: string): Promise<number[]> {
    const c = this.cache(dataset);
    c.checkpoints ??= (await this.store.listObjects(dataset, 'checkpoint')).map(Number).filter(Number.isSafeInteger).sort((a, b) => a - b);
    return c.checkpoints;
  }

  /** The newest usable checkpoint at or below `target`, or null: damaged or unreadable ones are skipped with a warning. */
  private async checkpointAtOrBelow(dataset: string, target: number): Promise<Snapshot | null> {
    return (await this.checkpointEntryAtOrBelow(dataset, target))?.snapshot ?? null;
  }

  private async checkpointEntryAtOrBelow(dataset: string, target: number): Promise<Checkpoint | null> {
    const versions = (await this.checkpoints(dataset)).filter((v) => v <= target).reverse();
    for (const v of versions) {
      let found: Checkpoint | string;
      try {
        const bytes = await this.store.readObject(dataset, 'checkpoint', checkpointName(v));
        found = bytes ? decodeCheckpoint(bytes[0]!, dataset, v) : 'it is missing';
      } catch (e) {
        found = (e as Error).message;
      }
      if (typeof found !== 'string') return found;
      this.warn(`${dataset}: checkpoint at version ${v} is not used (${found}); folding from an older one`);
    }
    return null;
  }

  /** Writes the checkpoint of a snapshot now (vacuum needs one where it keeps history from). */
  async checkpoint(s: Snapshot): Promise<void> {
    await this.store.putObject(s.dataset, 'checkpoint', checkpointName(s.version), encodeCheckpoint(s, await this.summary(s.dataset, s.version)));
    const list = this.cache(s.dataset).checkpoints;
    if (list && !list.includes(s.version)) { list.push(s.version); list.sort((a, b) => a - b); }
  }

  /** After a vacuum: forgets the records before the horizon and the checkpoints listed. */
  vacuumed(dataset: string, horizon: number): void {
    const c = this.cache(dataset);
    c.checkpoints = null;
    for (const v of [...c.records.keys()]) if (v > 0 && v <= horizon) c.records.delete(v);
  }

  /** Writes the checkpoint of a snapshot; a failure is only a warning (the next one, or the records, will do). */
  private async writeCheckpoint(s: Snapshot): Promise<void> {
    try {
      await this.checkpoint(s);
    } catch (e) {
      this.warn(`${s.dataset}: cannot write the checkpoint at version ${s.version}: ${(e as Error).message}`);
    }
  }

  /** Forgets what this process knows of a dataset (after a drop). */
  forget(dataset: string): void {
    this.caches.delete(dataset);
  }

  async record(dataset: string, version: number): Promise<VersionRecord> {
    const c = this.cache(dataset);
    const cached = c.records.get(version);
    if (cached) return cached;
    const bytes = await this.store.getVersion(dataset, version);
    if (!bytes) {
      const kept = version > 0 ? await this.horizon(dataset) : 0;
      if (version > 0 && version <= kept && kept > 1) throw await this.vacuumedError(dataset, version, kept);
      throw new StrataError('STRATA_ERR_VERSION_NOT_FOUND', `${dataset} has no version ${version}`, { dataset, version });
    }
    const r = decodeRecord(bytes, dataset, version);
    c.records.set(version, r);
    if (version === 0) c.created = Buffer.from(bytes);
    return r;
  }

  /** Head reads in flight per dataset, with the count of this log's commits when each started. */
  private readonly headReads = new Map<string, { commits: number; read: Promise<number> }>();
  private commits = 0;
  /** Checkpoints being written in the background. */
  private readonly background = new Set<Promise<void>>();

  /** Waits for the checkpoints being written (before the store closes). */
  async close(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  /**
   * The newest version. Concurrent callers share one read of the store, but
   * only a read that started after this process's last commit, so a caller
   * always sees its own commits.
   */
  headVersion(dataset: string): Promise<number> {
    const inFlight = this.headReads.get(dataset);
    if (inFlight && inFlight.commits === this.commits) return inFlight.read;
    const read = this.readHead(dataset).finally(() => { if (this.headReads.get(dataset)?.read === read) this.headReads.delete(dataset); });
    this.headReads.set(dataset, { commits: this.commits, read });
    return read;
  }

  private async readHead(dataset: string): Promise<number> {
    // Taken before reading, so a version that lands during the read changes the next stamp.
    const stamp = this.store.versionsStamp ? await this.store.versionsStamp(dataset) : null;
    const known = this.caches.get(dataset)?.stamp;
    if (stamp !== null && known && known.stamp === stamp) return known.head;
    const head = await this.readHeadFromStore(dataset);
    if (stamp !== null) { const c = this.caches.get(dataset); if (c) c.stamp = { stamp, head }; }
    return head;
  }

  private async readHeadFromStore(dataset: string): Promise<number> {
    const cached = this.caches.get(dataset);
    // A version known to exist lets the store probe forward instead of listing: the cached head, else the newest checkpoint.
    const hint = cached?.head?.version ?? (await this.checkpoints(dataset).then((l) => l[l.length - 1], () => undefined));
    // What this process cached may belong to a dataset another process dropped and created again:
    // version 0 is re-read alongside the head check (in parallel, so it adds no latency).
    const [head, now] = await Promise.all([
      this.store.headVersion(dataset, hint),
      cached?.created ? this.store.getVersion(dataset, 0) : Promise.resolve(undefined),
    ]);
    if (cached?.created && (!now || Buffer.compare(cached.created, Buffer.from(now)) !== 0)) {
      this.forget(dataset);
      if (now) return this.readHeadFromStore(dataset);
    }
    if (head === undefined) {
      this.forget(dataset);
      throw new StrataError('STRATA_ERR_DATASET_NOT_FOUND', `no dataset named ${dataset}`, { dataset });
    }
    // The hint is a version known to exist (a vacuum may have kept only its checkpoint).
    return Math.max(head, hint ?? 0);
  }

  /**
   * The head snapshot this process last saw (read fresh when it has none).
   * For what may be stale: the schema a batch is parsed with (its commit checks it against the real head).
   */
  async knownHead(dataset: string): Promise<Snapshot> {
    return this.caches.get(dataset)?.head ?? this.snapshot(dataset);
  }

  /**
   * The snapshot after `version` (the head when omitted). A version before
   * the horizon is refused unless it was kept (tagged); `pastHorizon` lets a
   * vacuum still fold one whose records it has not deleted yet.
   */
  async snapshot(dataset: string, version?: number, options: { pastHorizon?: boolean } = {}): Promise<Snapshot> {
    const head = await this.headVersion(dataset);
    const target = version ?? head;
    if (!Number.isSafeInteger(target) || target < 0 || target > head) {
      throw new StrataError('STRATA_ERR_VERSION_NOT_FOUND', `${dataset} has versions 0 to ${head}; there is no version ${String(version)}`, { dataset, version: target });
    }
    const c = this.cache(dataset);
    let base = c.head && c.head.version <= target ? c.head : null;
    if (base && base.version === target) return base;
    // Before the horizon only kept versions read. A tagged one the vacuum that moved the horizon has not
    // yet given its checkpoint (it was cut short) still has its records: those are folded.
    if (!options.pastHorizon && target > 0 && !(await this.checkpoints(dataset)).includes(target)) {
      const horizon = await this.horizon(dataset);
      if (target < horizon && !(await listTags(this.store, dataset)).some((t) => t.version === target)) throw await this.vacuumedError(dataset, target, horizon);
    }
    // Without a cached base, the newest checkpoint at or below the target spares folding from version 0.
    if (!base || target - base.version > this.options.checkpointEveryVersions) {
      const cp = await this.checkpointAtOrBelow(dataset, target);
      if (cp && (!base || cp.version > base.version)) base = cp;
    }
    if (base && base.version === target) { if (target === head) c.head = base; return base; }
    // Folding from 0 when the target itself was vacuumed would fail at version 1: name the version asked for.
    if (target > 0 && (!base || base.version < target)) await this.record(dataset, target);
    let s = base ? cloneSnapshot(base) : null;
    for (let v = base ? base.version + 1 : 0; v <= target; v++) s = applyRecord(s, await this.record(dataset, v));
    assert(s !== null && s.version === target, `snapshot of ${dataset} reached version ${target}`);
    if (target === head) c.head = s;
    return s;
  }

  /**
   * The oldest version after 0 kept whole: 1, or where the newest vacuum
   * keeps history from (its marker, written before it deletes anything).
   * Older versions are gone but for tagged ones, kept as checkpoints.
   */
  async horizon(dataset: string): Promise<number> {
    const marker = await readHorizonMarker(this.store, dataset);
    if (marker) return marker.horizon;
    // Stores vacuumed before markers existed: the vacuum left the horizon's checkpoint and deleted the records up to it.
    const cps = await this.checkpoints(dataset);
    const oldest = cps[0];
    if (oldest === undefined) return 1;
    const [own, before] = await Promise.all([this.store.getVersion(dataset, oldest), oldest > 1 ? this.store.getVersion(dataset, oldest - 1) : Promise.resolve(new Uint8Array(0))]);
    return own === undefined || before === undefined ? oldest : 1;
  }

  /** Versions before the horizon kept as checkpoints of their own (tagged when the vacuum ran). */
  async keptBeforeHorizon(dataset: string, horizon?: number): Promise<number[]> {
    horizon ??= await this.horizon(dataset);
    // Listed afresh: another process's vacuum may have removed checkpoints this one has cached.
    const listed = (await this.store.listObjects(dataset, 'checkpoint')).map(Number).filter(Number.isSafeInteger);
    return listed.filter((v) => v > 0 && v < horizon!).sort((a, b) => a - b);
  }

  async vacuumedError(dataset: string, version: number, horizon?: number): Promise<StrataError> {
    horizon ??= await this.horizon(dataset);
    const kept = await this.keptBeforeHorizon(dataset, horizon);
    const also = kept.length > 0 ? ` (and the tagged ${kept.length === 1 ? 'version' : 'versions'} ${kept.join(', ')})` : '';
    return new StrataError('STRATA_ERR_VERSION_VACUUMED', `version ${version} of ${dataset} was vacuumed; versions 0 and ${horizon} on are kept${also}`, { dataset, version, horizon, kept });
  }

  /** What version `v` did: from its record, or (the horizon, after a vacuum) from its checkpoint. */
  async summary(dataset: string, v: number): Promise<VersionSummary> {
    try {
      return summarize(await this.record(dataset, v));
    } catch (e) {
      const cp = (await this.checkpoints(dataset)).includes(v) ? await this.checkpointEntryAtOrBelow(dataset, v) : null;
      if (cp?.summary && cp.snapshot.version === v) return cp.summary;
      throw e;
    }
  }

  /** The newest version committed at or before `time` (ms). */
  async versionAt(dataset: string, time: number): Promise<number> {
    const head = await this.headVersion(dataset);
    const first = await this.record(dataset, 0);
    if (!(time >= first.time)) {
      throw new StrataError('STRATA_ERR_VERSION_NOT_FOUND', `${dataset} did not exist at ${new Date(time).toISOString()} (created ${new Date(first.time).toISOString()})`, { dataset });
    }
    const kept = await this.horizon(dataset);
    if (kept > 1 && head >= kept && time < (await this.summary(dataset, kept)).time) {
      throw new StrataError('STRATA_ERR_VERSION_VACUUMED', `${dataset} as it was at ${new Date(time).toISOString()} was vacuumed; versions 0 and ${kept} on are kept`, { dataset, horizon: kept });
    }
    let lo = kept > 1 ? kept : 0; let hi = head; // invariant: record(lo).time <= time
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((await this.summary(dataset, mid)).time <= time) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** Writes version 0. False when the dataset already exists. */
  async create(record: Omit<VersionRecord, 'format' | 'version' | 'time'>): Promise<boolean> {
    const full: VersionRecord = { format: 1, version: 0, time: Date.now(), ...record };
    this.forget(record.dataset);
    return this.store.putVersion(record.dataset, 0, encodeRecord(full));
  }

  /** Commits the plan made on the current head, replanning whenever another writer wins the race. */
  async commit<T>(dataset: string, plan: (head: Snapshot) => Plan<T> | Promise<Plan<T>>): Promise<T> {
    for (let attempt = 0; attempt <= this.options.commitRetriesMax; attempt++) {
      const head = await this.snapshot(dataset);
      const p = await plan(head);
      if ('done' in p) return p.done;
      const version = head.version + 1;
      const record: VersionRecord = { format: 1, dataset, version, time: Math.max(Date.now(), head.time), ...p.commit };
      if (await this.store.putVersion(dataset, version, encodeRecord(record))) {
        const c = this.cache(dataset);
        c.records.set(version, record);
        if (c.head === head) c.head = applyRecord(cloneSnapshot(head), record);
        this.commits++;
        if (version % this.options.checkpointEveryVersions === 0 && c.head?.version === version) {
          const writing = this.writeCheckpoint(c.head).finally(() => this.background.delete(writing));
          this.background.add(writing);
        }
        this.options.onCommit?.(dataset, version, record.kind);
        return p.result(version);
      }
      // Lost the race: back off a little (jittered, growing) and plan again on the new head.
      await sleep(Math.random() * Math.min(50, 1 + attempt));
    }
    throw new StrataError('STRATA_ERR_COMMIT_CONFLICT', `gave up committing to ${dataset} after ${this.options.commitRetriesMax} lost races`, { dataset, retryable: true });
  }
}
