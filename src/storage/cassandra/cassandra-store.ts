/**
 * Cassandra backend.
 *
 * Data model (one keyspace per store):
 *
 *   chunks   ((dataset, partition, bucket), chunk, column, piece) -> data blob
 *       One Cassandra partition holds one Strata partition's chunks for one
 *       UTC day of writes (the bucket), so a query reads only the partitions
 *       and columns it needs and no partition grows without limit. A column
 *       is split into pieces of at most cassandraPieceBytesMax, keeping cells far
 *       under 1 MiB.
 *   versions ((dataset, vbucket), version) -> record blob
 *       vbucket = floor(version / versionsPerBucket) bounds the log's
 *       partitions. A version is committed by INSERT ... IF NOT EXISTS (a
 *       lightweight transaction): of two writers racing for it, one wins.
 *   datasets (name) -> created, head_bucket (a hint: the newest vbucket)
 *   dataset_buckets (dataset, bucket) and dataset_parts ((dataset, bucket),
 *       partition): which chunk partitions a dataset has written, day by day,
 *       so a drop can delete them all (orphans of failed commits included).
 *
 * When a commit's outcome is unknown (a timeout during the transaction),
 * the version is read back at SERIAL consistency, which finishes any
 * in-flight Paxos round, so the answer is never a guess.
 */
import cassandra from 'cassandra-driver';
import { StrataError, isStrataError } from '../../core/errors.js';
import { Admission } from '../../core/admission.js';
import { defaultLimits } from '../../core/limits.js';
import type { Limits } from '../../core/limits.js';
import { namePattern } from '../../core/names.js';
import type { ByteRange, ChunkAddress, ObjectKind, Store } from '../store.js';
import { checkObject, checkRanges, objectKinds } from '../store.js';
import type { CassandraLocation } from './url.js';
import { parseCassandraUrl } from './url.js';

const { Client, types } = cassandra;

export type CassandraLimits = Pick<Limits, 'cassandraPieceBytesMax' | 'cassandraConnectMsMax' | 'cassandraRequestMsMax' | 'cassandraRequestsInFlightMax'>;
const versionsPerBucket = 1000;
const hexId = /^[0-9a-f]{8,64}$/;

function isErrorLike(e: unknown): e is Error & { code?: number; info?: string; innerErrors?: unknown } {
  return e instanceof Error;
}

/** Driver errors that mean "Cassandra could not be reached or did not answer in time". */
function unavailable(e: unknown, what: string): StrataError {
  if (isStrataError(e)) return e;
  const err = e as Error;
  return new StrataError('STRATA_ERR_STORE_UNAVAILABLE', `Cassandra ${what} failed: ${err.message}`, { retryable: true }, { cause: e });
}

function outcomeUnknown(e: unknown): boolean {
  if (!isErrorLike(e)) return false;
  const name = e.constructor?.name ?? '';
  // Write timeout (0x1100) on a CAS write, or a client-side timeout: the transaction may or may not have applied.
  return name === 'OperationTimedOutError' || e.code === types.responseErrorCodes.writeTimeout;
}

export class CassandraStore implements Store {
  readonly location: string;
  private readonly client: cassandra.Client;
  private ready: Promise<void> | null = null;
  private readonly requests: Admission;

  private constructor(location: string, private readonly loc: CassandraLocation, private readonly limits: CassandraLimits) {
    this.location = location;
    this.requests = new Admission(limits.cassandraRequestsInFlightMax, Number.MAX_SAFE_INTEGER, 'Cassandra request', 'cassandraRequestsInFlightMax');
    this.client = new Client({
      contactPoints: loc.contactPoints,
      localDataCenter: loc.localDataCenter,
      queryOptions: {
        consistency: types.consistencies[toConsistencyKey(loc.consistency)],
        serialConsistency: types.consistencies[toConsistencyKey(loc.serialConsistency)],
        prepare: true,
      },
      socketOptions: { connectTimeout: limits.cassandraConnectMsMax, readTimeout: limits.cassandraRequestMsMax },
      // A node that comes back is used again within seconds (the default backoff grows to ten minutes).
      policies: { reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(500, 5000, false) },
      // Token-aware routing over DC-aware round robin is the driver's default load balancing policy.
    });
  }

  static async open(url: string, limits: CassandraLimits = defaultLimits): Promise<CassandraStore> {
    const store = new CassandraStore(url, parseCassandraUrl(url), limits);
    await store.init();
    return store;
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      try {
        await this.client.connect();
      } catch (e) {
        this.ready = null;
        throw unavailable(e, `connecting to ${this.loc.contactPoints.join(',')}`);
      }
      const ks = this.loc.keyspace;
      const ddl = [
        `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', '${this.loc.localDataCenter}': ${this.loc.replicationFactor}}`,
        `CREATE TABLE IF NOT EXISTS ${ks}.datasets (name text PRIMARY KEY, created timestamp, head_bucket bigint)`,
        `CREATE TABLE IF NOT EXISTS ${ks}.versions (dataset text, vbucket bigint, version bigint, record blob, PRIMARY KEY ((dataset, vbucket), version)) WITH CLUSTERING ORDER BY (version DESC)`,
        `CREATE TABLE IF NOT EXISTS ${ks}.chunks (dataset text, partition text, bucket int, chunk text, column_name text, piece int, data blob, PRIMARY KEY ((dataset, partition, bucket), chunk, column_name, piece))`,
        `CREATE TABLE IF NOT EXISTS ${ks}.dataset_buckets (dataset text, bucket int, PRIMARY KEY (dataset, bucket))`,
        `CREATE TABLE IF NOT EXISTS ${ks}.dataset_parts (dataset text, bucket int, partition text, PRIMARY KEY ((dataset, bucket), partition))`,
        // An object is its own partition of pieces (piece -1 holds the count), listed per dataset and kind.
        `CREATE TABLE IF NOT EXISTS ${ks}.objects (dataset text, kind text, name text, piece int, data blob, PRIMARY KEY ((dataset, kind, name), piece))`,
        `CREATE TABLE IF NOT EXISTS ${ks}.object_names (dataset text, kind text, name text, PRIMARY KEY ((dataset, kind), name))`,
      ];
      try {
        for (const q of ddl) await this.client.execute(q, [], { prepare: false });
      } catch (e) {
        this.ready = null;
        throw unavailable(e, 'creating the keyspace and tables');
      }
    })();
    return this.ready;
  }

  private async run(what: string, query: string, params: unknown[], options: cassandra.QueryOptions = {}): Promise<cassandra.types.ResultSet> {
    await this.init();
    // The driver refuses requests beyond what its connections carry: more wait here instead.
    const release = await this.requests.enter();
    try {
      return await this.client.execute(query, params, { prepare: true, ...options });
    } catch (e) {
      throw unavailable(e, what);
    } finally {
      release();
    }
  }

  private table(name: string): string {
    return `${this.loc.keyspace}.${name}`;
  }

  private check(dataset: string): void {
    if (!namePattern.test(dataset)) throw new StrataError('STRATA_ERR_INVALID_NAME', `invalid dataset name ${JSON.stringify(dataset)}`, { dataset });
  }

  async putVersion(dataset: string, version: number, record: Uint8Array): Promise<boolean> {
    this.check(dataset);
    await this.init();
    const vbucket = Math.floor(version / versionsPerBucket);
    const bytes = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
    let applied: boolean;
    try {
      const rs = await this.client.execute(
        `INSERT INTO ${this.table('versions')} (dataset, vbucket, version, record) VALUES (?, ?, ?, ?) IF NOT EXISTS`,
        [dataset, types.Long.fromNumber(vbucket), types.Long.fromNumber(version), bytes], { prepare: true });
      applied = rs.wasApplied();
    } catch (e) {
      if (!outcomeUnknown(e)) throw unavailable(e, `committing version ${version} of ${dataset}`);
      // The transaction may have applied: a SERIAL read settles it.
      const stored = await this.readVersion(dataset, version, true).catch((re: unknown) => { throw unavailable(re, `checking whether version ${version} of ${dataset} committed`); });
      if (stored === undefined) throw unavailable(e, `committing version ${version} of ${dataset}`);
      applied = Buffer.compare(stored, bytes) === 0;
    }
    if (applied && (version === 0 || version % versionsPerBucket === 0)) {
      const created = version === 0 ? ', created = toTimestamp(now())' : '';
      await this.run('recording the version bucket', `UPDATE ${this.table('datasets')} SET head_bucket = ?${created} WHERE name = ?`, [types.Long.fromNumber(vbucket), dataset]);
    }
    return applied;
  }

  private async readVersion(dataset: string, version: number, serial: boolean): Promise<Buffer | undefined> {
    const rs = await this.run(`reading version ${version} of ${dataset}`,
      `SELECT record FROM ${this.table('versions')} WHERE dataset = ? AND vbucket = ? AND version = ?`,
      [dataset, types.Long.fromNumber(Math.floor(version / versionsPerBucket)), types.Long.fromNumber(version)],
      serial ? { consistency: types.consistencies[toConsistencyKey(this.loc.serialConsistency)] } : {});
    const row = rs.first();
    return row ? (row.record as Buffer) : undefined;
  }

  async getVersion(dataset: string, version: number): Promise<Uint8Array | undefined> {
    this.check(dataset);
    return this.readVersion(dataset, version, false);
  }

  private async newestIn(dataset: string, vbucket: number): Promise<number | undefined> {
    const rs = await this.run(`reading the head of ${dataset}`,
      `SELECT version FROM ${this.table('versions')} WHERE dataset = ? AND vbucket = ? LIMIT 1`, [dataset, types.Long.fromNumber(vbucket)]);
    const row = rs.first();
    return row ? Number(row.version) : undefined;
  }

  async headVersion(dataset: string, from?: number): Promise<number | undefined> {
    this.check(dataset);
    const rs = await this.run(`reading dataset ${dataset}`, `SELECT head_bucket FROM ${this.table('datasets')} WHERE name = ?`, [dataset]);
    const row = rs.first();
    if (!row || row.head_bucket === null) {
      // A version 0 whose datasets row was not written yet (a crash in between) still makes the dataset exist.
      return (await this.readVersion(dataset, 0, false)) === undefined ? undefined : this.scanForward(dataset, 0);
    }
    const hint = Math.max(Number(row.head_bucket), from !== undefined ? Math.floor(from / versionsPerBucket) : 0);
    return this.scanForward(dataset, hint);
  }

  /** The newest version at or after bucket `b` (buckets fill in order, so stop at the first that is not full). */
  private async scanForward(dataset: string, b: number): Promise<number | undefined> {
    let best = await this.newestIn(dataset, b);
    while (best !== undefined && best === (b + 1) * versionsPerBucket - 1) {
      const next = await this.newestIn(dataset, b + 1);
      if (next === undefined) break;
      b++;
      best = next;
    }
    if (best === undefined && b > 0) return this.scanForward(dataset, 0);
    return best;
  }

  async listDatasets(): Promise<string[]> {
    const rs = await this.run('listing datasets', `SELECT name FROM ${this.table('datasets')}`, []);
    const names = rs.rows.map((r) => String(r.name)).filter((n) => namePattern.test(n));
    const live = await Promise.all(names.map(async (n) => ((await this.readVersion(n, 0, false)) === undefined ? null : n)));
    return live.filter((n): n is string => n !== null).sort();
  }

  async dropDataset(dataset: string): Promise<boolean> {
    this.check(dataset);
    const rs = await this.run(`reading dataset ${dataset}`, `SELECT head_bucket FROM ${this.table('datasets')} WHERE name = ?`, [dataset]);
    const exists = (await this.readVersion(dataset, 0, false)) !== undefined;
    const head = Number(rs.first()?.head_bucket ?? 0);
    // Chunks first, then versions, then the name: a crash midway leaves a dataset that can be dropped again.
    const buckets = await this.run('listing buckets', `SELECT bucket FROM ${this.table('dataset_buckets')} WHERE dataset = ?`, [dataset]);
    for (const { bucket } of buckets.rows) {
      const parts = await this.run('listing partitions', `SELECT partition FROM ${this.table('dataset_parts')} WHERE dataset = ? AND bucket = ?`, [dataset, bucket]);
      await Promise.all(parts.rows.map((p) => this.run('deleting chunks', `DELETE FROM ${this.table('chunks')} WHERE dataset = ? AND partition = ? AND bucket = ?`, [dataset, p.partition, bucket])));
      await this.run('deleting partition list', `DELETE FROM ${this.table('dataset_parts')} WHERE dataset = ? AND bucket = ?`, [dataset, bucket]);
    }
    await this.run('deleting bucket list', `DELETE FROM ${this.table('dataset_buckets')} WHERE dataset = ?`, [dataset]);
    for (const kind of objectKinds) await this.deleteObjects(dataset, kind, await this.listObjects(dataset, kind));
    for (let b = 0; b <= head + 1; b++) {
      await this.run('deleting versions', `DELETE FROM ${this.table('versions')} WHERE dataset = ? AND vbucket = ?`, [dataset, types.Long.fromNumber(b)]);
    }
    await this.run('deleting the dataset', `DELETE FROM ${this.table('datasets')} WHERE name = ?`, [dataset]);
    return exists;
  }

  async deleteVersions(dataset: string, versions: readonly number[]): Promise<void> {
    this.check(dataset);
    const byBucket = new Map<number, number[]>();
    for (const v of versions) if (v > 0) { const b = Math.floor(v / versionsPerBucket); byBucket.set(b, [...(byBucket.get(b) ?? []), v]); }
    for (const [b, vs] of byBucket) {
      for (let i = 0; i < vs.length; i += 100) {
        await this.run(`deleting versions of ${dataset}`, `DELETE FROM ${this.table('versions')} WHERE dataset = ? AND vbucket = ? AND version IN ?`,
          [dataset, types.Long.fromNumber(b), vs.slice(i, i + 100).map((v) => types.Long.fromNumber(v))]);
      }
    }
  }

  private address(addr: ChunkAddress): [string, string, number, string] {
    this.check(addr.dataset);
    if (!hexId.test(addr.partition) || !hexId.test(addr.chunk)) throw new StrataError('STRATA_ERR_INTERNAL', `bad chunk address ${addr.partition}/${addr.chunk}`);
    return [addr.dataset, addr.partition, addr.bucket ?? 0, addr.chunk];
  }

  async putChunk(addr: ChunkAddress, columns: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const [dataset, partition, bucket, chunk] = this.address(addr);
    await Promise.all([
      this.run('recording a bucket', `INSERT INTO ${this.table('dataset_buckets')} (dataset, bucket) VALUES (?, ?)`, [dataset, bucket]),
      this.run('recording a partition', `INSERT INTO ${this.table('dataset_parts')} (dataset, bucket, partition) VALUES (?, ?, ?)`, [dataset, bucket, partition]),
    ]);
    const writes: Promise<unknown>[] = [];
    for (const [name, bytes] of columns) {
      if (!namePattern.test(name)) throw new StrataError('STRATA_ERR_INVALID_NAME', `invalid column name ${JSON.stringify(name)}`, { column: name });
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const pieceBytesMax = this.limits.cassandraPieceBytesMax;
      const pieces = Math.max(1, Math.ceil(buf.length / pieceBytesMax));
      for (let p = 0; p < pieces; p++) {
        // Piece -1 records how many pieces follow, so a reader can tell a whole column from a partial one.
        writes.push(this.run('writing a chunk', `INSERT INTO ${this.table('chunks')} (dataset, partition, bucket, chunk, column_name, piece, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          [dataset, partition, bucket, chunk, name, p, buf.subarray(p * pieceBytesMax, (p + 1) * pieceBytesMax)]));
      }
      writes.push(this.run('writing a chunk', `INSERT INTO ${this.table('chunks')} (dataset, partition, bucket, chunk, column_name, piece, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [dataset, partition, bucket, chunk, name, -1, Buffer.from(String(pieces))]));
    }
    await Promise.all(writes);
  }

  async getChunkColumns(addr: ChunkAddress, columns: readonly string[]): Promise<Map<string, Uint8Array>> {
    const [dataset, partition, bucket, chunk] = this.address(addr);
    const out = new Map<string, Uint8Array>();
    if (columns.length === 0) return out;
    const rs = await this.run('reading a chunk',
      `SELECT column_name, piece, data FROM ${this.table('chunks')} WHERE dataset = ? AND partition = ? AND bucket = ? AND chunk = ? AND column_name IN ?`,
      [dataset, partition, bucket, chunk, [...columns]], { fetchSize: 10_000 });
    const pieces = new Map<string, { count: number; parts: Buffer[] }>();
    for (const row of rs.rows) {
      const name = String(row.column_name);
      let e = pieces.get(name);
      if (!e) { e = { count: -1, parts: [] }; pieces.set(name, e); }
      const p = Number(row.piece);
      if (p === -1) e.count = Number((row.data as Buffer).toString());
      else e.parts[p] = row.data as Buffer;
    }
    for (const [name, e] of pieces) {
      // A column missing pieces was never completely written: treat it as absent (the reader reports it).
      if (e.count >= 1 && e.parts.length === e.count && e.parts.every((b) => b !== undefined)) out.set(name, Buffer.concat(e.parts));
    }
    return out;
  }

  /**
   * Objects are cut into pieces of cassandraPieceBytesMax (rows of one
   * partition); the count is written last, so an object whose count row is
   * missing or disagrees with its pieces was never completely written and
   * reads as absent.
   */
  async putObject(dataset: string, kind: ObjectKind, name: string, bytes: Uint8Array): Promise<void> {
    this.check(dataset);
    checkObject(kind, name);
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const size = this.limits.cassandraPieceBytesMax;
    const pieces = Math.max(1, Math.ceil(buf.length / size));
    const insert = `INSERT INTO ${this.table('objects')} (dataset, kind, name, piece, data) VALUES (?, ?, ?, ?, ?)`;
    // Listed first, so an object cut short by a crash can still be found and deleted.
    await this.run(`listing ${kind} ${name}`, `INSERT INTO ${this.table('object_names')} (dataset, kind, name) VALUES (?, ?, ?)`, [dataset, kind, name]);
    await Promise.all(Array.from({ length: pieces }, (_, p) => this.run(`writing ${kind} ${name}`, insert, [dataset, kind, name, p, buf.subarray(p * size, (p + 1) * size)])));
    // The count row says how long the object is: pieces and total bytes.
    await this.run(`writing ${kind} ${name}`, insert, [dataset, kind, name, -1, Buffer.from(`${pieces} ${buf.length}`)]);
  }

  async readObject(dataset: string, kind: ObjectKind, name: string, ranges?: readonly ByteRange[]): Promise<Uint8Array[] | undefined> {
    this.check(dataset);
    checkObject(kind, name);
    const select = `SELECT piece, data FROM ${this.table('objects')} WHERE dataset = ? AND kind = ? AND name = ? AND piece IN ?`;
    const head = (await this.run(`reading ${kind} ${name}`, select, [dataset, kind, name, [-1]])).first();
    if (!head) return undefined;
    const [pieces, total] = (head.data as Buffer).toString().split(' ').map(Number) as [number, number];
    const size = this.limits.cassandraPieceBytesMax;
    const wanted = ranges ?? [{ offset: 0, length: total }];
    checkRanges(wanted, total, `${kind} ${name}`);
    // The pieces the ranges touch, read once each.
    const need = new Set<number>();
    for (const r of wanted) for (let p = Math.floor(r.offset / size); p * size < r.offset + r.length; p++) need.add(p);
    const parts = new Map<number, Buffer>();
    const list = [...need];
    for (let i = 0; i < list.length; i += 64) {
      const rs = await this.run(`reading ${kind} ${name}`, select, [dataset, kind, name, list.slice(i, i + 64)], { fetchSize: 1000 });
      for (const row of rs.rows) parts.set(Number(row.piece), row.data as Buffer);
    }
    if ([...need].some((p) => p >= pieces || !parts.has(p))) return undefined;
    return wanted.map((r) => {
      const out = Buffer.allocUnsafe(r.length);
      let done = 0;
      for (let p = Math.floor(r.offset / size); done < r.length; p++) {
        const piece = parts.get(p)!;
        const from = Math.max(0, r.offset + done - p * size);
        done += piece.copy(out, done, from, Math.min(piece.length, from + r.length - done));
      }
      return out;
    });
  }

  async listObjects(dataset: string, kind: ObjectKind): Promise<string[]> {
    this.check(dataset);
    const rs = await this.run(`listing ${kind}s of ${dataset}`, `SELECT name FROM ${this.table('object_names')} WHERE dataset = ? AND kind = ?`, [dataset, kind], { fetchSize: 100_000 });
    return rs.rows.map((r) => String(r.name)).sort();
  }

  async deleteObjects(dataset: string, kind: ObjectKind, names: readonly string[]): Promise<void> {
    this.check(dataset);
    for (const name of names) {
      checkObject(kind, name);
      // The data first, the listing last: a delete cut short leaves the object listed, to be deleted again.
      await this.run(`deleting ${kind} ${name}`, `DELETE FROM ${this.table('objects')} WHERE dataset = ? AND kind = ? AND name = ?`, [dataset, kind, name]);
      await this.run(`deleting ${kind} ${name}`, `DELETE FROM ${this.table('object_names')} WHERE dataset = ? AND kind = ? AND name = ?`, [dataset, kind, name]);
    }
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}

function toConsistencyKey(name: string): keyof typeof types.consistencies {
  const map: Record<string, keyof typeof types.consistencies> = {
    ONE: 'one', TWO: 'two', THREE: 'three', QUORUM: 'quorum', ALL: 'all', LOCAL_QUORUM: 'localQuorum',
    EACH_QUORUM: 'eachQuorum', SERIAL: 'serial', LOCAL_SERIAL: 'localSerial', LOCAL_ONE: 'localOne',
  };
  return map[name]!;
}
