/**
 * A Kafka topic into a dataset, exactly once, with the offsets kept in the
 * commits themselves: each partition's records are appended with writer
 * `kafka/<topic>/<partition>` and seq = the offset of the batch's last
 * record, one batch in flight per partition, each fenced on the writer's
 * previous seq (`after`). So the writer's newest seq is the partition's
 * stored position: on start and after every rebalance a partition resumes
 * right after it, whatever Kafka's committed offsets say (nothing is
 * committed to Kafka), and a consumer that lost its partition to another
 * cannot store what the other one stores (WRITER_MOVED: it drops its buffer
 * and resumes from the new position if the partition comes back).
 *
 * Records that do not parse or fit the schema go, one append each (writer
 * `kafka-dead/<topic>/<partition>`, seq = their offset, so retries after a
 * crash are answered as duplicates), to a dead-letter dataset with their
 * topic, partition, offset, key, value and error, before the good records
 * of their batch are stored. Batches close at `batchRows` records or
 * `lingerMs` after their first one; a partition with `maxBufferedRows`
 * waiting stops fetching until they are stored (backpressure).
 */
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import { StrataError, isStrataError } from '../core/errors.js';
import type { Batch } from '../chunk/batch.js';
import { concatBatches } from '../chunk/batch.js';
import type { Strata } from '../db/strata.js';
import type { DatasetSchema } from '../schema/schema.js';

export type KafkaFormat = 'json' | 'csv' | 'arrow';

export interface KafkaSourceOptions {
  dataset: string;
  brokers: string[];
  topic: string;
  /** Consumer group (default strata-<dataset>). */
  group?: string;
  format?: KafkaFormat;
  batchRows?: number;
  lingerMs?: number;
  maxBufferedRows?: number;
  /** Where a partition with no stored position starts: earliest, latest, or a time (ms since the epoch). */
  from?: 'earliest' | 'latest' | number;
  /** The dead-letter dataset (default <dataset>_dead_letters), created on first use. */
  deadLetters?: string;
  clientId?: string;
  /** How long the group waits for a silent member before handing its partitions to others (default 10 s). */
  sessionTimeoutMs?: number;
  onWarning?: (message: string) => void;
}

export interface PartitionStats {
  partition: number;
  /** Offset of the newest record stored (-1: none). */
  position: number;
  /** The partition's high watermark as last fetched (next offset to be written). */
  high: number;
  /** Records fetched but not stored yet. */
  buffered: number;
}

export interface KafkaSourceStats {
  dataset: string;
  topic: string;
  records: number;
  batches: number;
  deadLetters: number;
  moved: number;
  partitions: PartitionStats[];
}

/** Records a source has yet to store, over its partitions (from each one's last fetched high watermark). */
export function lagOf(s: KafkaSourceStats): number {
  return s.partitions.reduce((n, p) => n + Math.max(0, p.high - p.position - 1), 0);
}

/** A fetched record, kept as the client gave it (one object less per record). */
type Pending = KafkaMessage;
const empty = Buffer.alloc(0);
const offsetOf = (r: Pending): number => Number(r.offset);
const valueOf = (r: Pending): Buffer => r.value ?? empty;
/** Only spaces, tabs and line ends (or nothing): would parse as a blank line, no row. */
function blank(v: Buffer): boolean {
  for (const b of v) if (b !== 32 && b !== 9 && b !== 10 && b !== 13) return false;
  return true;
}

/** A flush's good records as one batch, and the offset of the last of them. */
interface Good { last: number; rows: number; batch: Batch; schema: DatasetSchema }
interface Bad { record: Pending; error: string }

interface PartitionState {
  partition: number;
  position: number;
  /** The offset the next record must have (position + 1 once known). */
  next: number | null;
  high: number;
  buffer: Pending[];
  timer: NodeJS.Timeout | null;
  /** The batches taken from the buffer, stored one after another (each parsed as soon as it is taken). */
  flushing: Promise<void>;
  /** Its stored position has been read. */
  ready: boolean;
  /** A store failed: the batches queued behind it are dropped (the partition is read again from its stored position). */
  failed: boolean;
  /** Records taken from the buffer and not stored yet. */
  storing: number;
}

/** Columns of a dead-letter dataset (named so no SQL keyword needs quoting). */
const deadLetterSchema = 'kafka_topic:string,kafka_partition:int32,kafka_offset:int64,kafka_key:string,kafka_value:string,error:string,kafka_time:timestamp';

export class KafkaSource {
  private consumer: Consumer | null = null;
  private readonly parts = new Map<number, PartitionState>();
  private deadReady = false;
  private stopped = false;
  private readonly counts = { records: 0, batches: 0, deadLetters: 0, moved: 0 };
  private csvHeader: string | null = null;
  private readonly o: Required<Omit<KafkaSourceOptions, 'onWarning' | 'group' | 'deadLetters' | 'clientId'>> & KafkaSourceOptions;

  constructor(private readonly db: Strata, options: KafkaSourceOptions) {
    this.o = { format: 'json', batchRows: 25_000, lingerMs: 200, maxBufferedRows: 100_000, from: 'earliest', sessionTimeoutMs: 10_000, ...options };
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(this.o.topic)) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `invalid topic ${JSON.stringify(this.o.topic)}`);
    if (!Number.isSafeInteger(this.o.batchRows) || this.o.batchRows < 1) throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', '--batch-rows must be a positive integer');
  }

  get deadLetterDataset(): string { return this.o.deadLetters ?? `${this.o.dataset}_dead_letters`; }
  writerOf(partition: number): string { return `kafka/${this.o.topic}/${partition}`; }

  stats(): KafkaSourceStats {
    return {
      dataset: this.o.dataset, topic: this.o.topic, ...this.counts,
      partitions: [...this.parts.values()].sort((a, b) => a.partition - b.partition).map((p) => ({ partition: p.partition, position: p.position, high: p.high, buffered: this.bufferedOf(p) })),
    };
  }

  async start(): Promise<void> {
    await this.db.describe(this.o.dataset);
    const kafka = new Kafka({ clientId: this.o.clientId ?? 'strata', brokers: this.o.brokers, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 5000 } });
    const consumer = kafka.consumer({ groupId: this.o.group ?? `strata-${this.o.dataset}`, allowAutoTopicCreation: false, maxBytesPerPartition: 8 << 20, sessionTimeout: this.o.sessionTimeoutMs, heartbeatInterval: Math.max(100, Math.floor(this.o.sessionTimeoutMs / 10)), retry: { retries: 1_000_000 } });
    this.consumer = consumer;
    const admin = kafka.admin();
    await admin.connect();
    const starts = new Map<number, number>();
    try {
      // A start policy by time: the first offset at or after it, per partition.
      if (typeof this.o.from === 'number') for (const p of await admin.fetchTopicOffsetsByTimestamp(this.o.topic, this.o.from)) starts.set(p.partition, Number(p.offset));
    } finally {
      await admin.disconnect();
    }
    await consumer.connect();
    await consumer.subscribe({ topic: this.o.topic, fromBeginning: this.o.from === 'earliest' });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = (e.payload.memberAssignment[this.o.topic] ?? []) as number[];
      for (const p of [...this.parts.keys()]) if (!assigned.includes(p)) this.drop(p);
      for (const p of assigned) void this.assign(p, starts.get(p));
    });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 8, eachBatch: (b) => this.onBatch(b) });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // What is buffered is stored before leaving, one batch after another.
    await Promise.all([...this.parts.values()].map(async (p) => {
      if (p.timer) { clearTimeout(p.timer); p.timer = null; }
      while (p.buffer.length > 0 && this.parts.get(p.partition) === p && !p.failed) void this.flush(p);
      await p.flushing;
    }).map((q) => q.catch(() => undefined)));
    await this.consumer?.disconnect();
  }

  /** A partition assigned to this consumer: resume right after its stored position. */
  private async assign(partition: number, fromTime: number | undefined): Promise<void> {
    const state: PartitionState = { partition, position: -1, next: null, high: 0, buffer: [], timer: null, flushing: Promise.resolve(), ready: false, failed: false, storing: 0 };
    this.parts.set(partition, state);
    const w = await this.db.writer(this.o.dataset, this.writerOf(partition));
    if (this.parts.get(partition) !== state) return;
    if (w) { state.position = w.seq; state.next = w.seq + 1; } else if (fromTime !== undefined) state.next = fromTime;
    if (state.next !== null) this.consumer!.seek({ topic: this.o.topic, partition, offset: String(state.next) });
    state.ready = true;
  }

  private drop(partition: number): void {
    const s = this.parts.get(partition);
    if (s?.timer) clearTimeout(s.timer);
    this.parts.delete(partition);
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    let s = this.parts.get(batch.partition);
    // Records may be fetched before the assignment's position is read: wait for it (the seek then redirects the fetch).
    for (let i = 0; i < 250 && (!s || !s.ready); i++) { await new Promise((r) => setTimeout(r, 20)); s = this.parts.get(batch.partition); }
    if (!s || !s.ready) return;
    s.high = Number(batch.highWatermark);
    // Resolving only moves the fetch on (nothing is committed to Kafka): the stored position is in the dataset.
    // It is done once per fetched batch, as kafkajs's per-record bookkeeping cost more than the parsing.
    let resolved: string | null = null;
    const resolve = (): void => { if (resolved !== null) resolveOffset(resolved); resolved = null; };
    // A partition whose store failed waits for its reassignment (which seeks back to the stored position).
    if (!isRunning() || isStale() || this.stopped || s.failed) return;
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      if (s.next !== null && offset < s.next) { resolved = m.offset; continue; } // stored already
      if (s.next !== null && offset > s.next) {
        // A fetch from before the seek: go back to the position instead of leaving a gap.
        resolve();
        this.consumer!.seek({ topic: this.o.topic, partition: s.partition, offset: String(s.next) });
        return;
      }
      s.buffer.push(m);
      s.next = offset + 1;
      resolved = m.offset;
      // A full batch is stored while fetching goes on; only a full buffer waits for the store.
      if (s.buffer.length >= this.o.batchRows) void this.flush(s);
      else if (!s.timer) s.timer = setTimeout(() => { s!.timer = null; void this.flush(s!); }, this.o.lingerMs);
      if (this.bufferedOf(s) >= this.o.maxBufferedRows) {
        resolve();
        await s.flushing;
        await heartbeat();
        if (!isRunning() || isStale() || this.stopped || s.failed || this.parts.get(batch.partition) !== s) return;
      }
    }
    resolve();
    await heartbeat();
  }

  /** Records of a partition not stored yet: in the buffer and in the batches being parsed or stored. */
  private bufferedOf(s: PartitionState): number { return s.buffer.length + s.storing; }

  private failed(s: PartitionState, e: unknown): void {
    if (s.failed) return;
    s.failed = true;
    s.buffer = [];
    s.storing = 0;
    if (isStrataError(e, 'STRATA_ERR_WRITER_MOVED')) {
      // Another consumer stored for this partition: forget the buffer and resume after what it stored.
      this.counts.moved++;
      if (this.parts.get(s.partition) === s) void this.assign(s.partition, undefined);
      return;
    }
    this.o.onWarning?.(`kafka ${this.o.topic}/${s.partition}: ${(e as Error).message}; retrying from the stored position`);
    if (this.parts.get(s.partition) === s) setTimeout(() => { if (this.parts.get(s.partition) === s) void this.assign(s.partition, undefined); }, 1000);
  }

  /**
   * Takes up to a batch from the buffer and queues it to be stored after the
   * batches before it: dead letters first, then the good records fenced on
   * the position. Parsing starts at once (in a worker), so a partition's next
   * batches are parsed while the one before is committed.
   */
  private flush(s: PartitionState): Promise<void> {
    if (s.timer) { clearTimeout(s.timer); s.timer = null; }
    if (s.buffer.length === 0 || s.failed) return s.flushing;
    const records = s.buffer.length <= this.o.batchRows ? s.buffer : s.buffer.slice(0, this.o.batchRows);
    s.buffer = records === s.buffer ? [] : s.buffer.slice(records.length);
    s.storing += records.length;
    const sorted = this.sort(records);
    sorted.catch(() => undefined); // seen by the link below, or moot once an earlier one failed
    s.flushing = s.flushing.then(async () => {
      if (s.failed || this.parts.get(s.partition) !== s) return;
      await this.store(s, await sorted);
      s.storing -= records.length;
    }).catch((e: unknown) => this.failed(s, e));
    return s.flushing;
  }

  private async store(s: PartitionState, { good, bad }: { good: Good | null; bad: Bad[] }): Promise<void> {
    if (bad.length > 0) await this.deadLetter(s.partition, bad);
    if (good) {
      const r = await this.db.append(this.o.dataset, good.batch, { writer: this.writerOf(s.partition), seq: good.last, after: s.position }, good.schema);
      this.counts.batches++;
      if (!r.duplicate) this.counts.records += good.rows;
      s.position = good.last;
    }
  }

  /**
   * The records that parse and fit the schema, as one batch, and the others
   * with why. JSON and CSV records are parsed together, halving a failing
   * group until each bad record stands alone; an Arrow record is an IPC
   * stream of its own, parsed alone. Every group that parses is kept, in
   * offset order, so no good record is parsed twice. An empty record is bad
   * by itself: as a blank line it would parse as no row and vanish.
   */
  private async sort(records: Pending[]): Promise<{ good: Good | null; bad: Bad[] }> {
    const bad: Bad[] = [];
    const pieces: { last: Pending; batch: Batch; schema: DatasetSchema }[] = [];
    const refused = (e: unknown): e is StrataError => isStrataError(e) && ['STRATA_ERR_BAD_ROW', 'STRATA_ERR_BAD_FORMAT', 'STRATA_ERR_UNKNOWN_COLUMN', 'STRATA_ERR_EMPTY_BATCH'].includes(e.code);
    const parse = async (rs: Pending[], input: Buffer, format: 'arrow' | 'csv' | 'ndjson'): Promise<boolean> => {
      try {
        pieces.push({ last: rs[rs.length - 1]!, ...await this.db.parse(this.o.dataset, input, format, { offThread: format !== 'arrow' }) });
        return true;
      } catch (e) {
        if (!refused(e)) throw e;
        if (rs.length === 1) bad.push({ record: rs[0]!, error: `${e.code}: ${e.message}` });
        return false;
      }
    };
    if (this.o.format === 'arrow') {
      for (const record of records) await parse([record], valueOf(record), 'arrow');
    } else {
      if (this.o.format === 'csv' && this.csvHeader === null) this.csvHeader = `${(await this.db.snapshot(this.o.dataset)).schema.columns.map((c) => c.name).join(',')}\n`;
      const fmt = this.o.format === 'csv' ? 'csv' : 'ndjson';
      const check = async (rs: Pending[]): Promise<void> => {
        if (rs.length === 0 || await parse(rs, this.joined(rs), fmt) || rs.length === 1) return;
        const mid = rs.length >> 1;
        await check(rs.slice(0, mid));
        await check(rs.slice(mid));
      };
      // Empty records split the rest into runs, each checked as a whole.
      let run: Pending[] = [];
      for (const r of records) {
        if (!blank(valueOf(r))) { run.push(r); continue; }
        await check(run);
        run = [];
        bad.push({ record: r, error: 'STRATA_ERR_BAD_FORMAT: the record is empty' });
      }
      await check(run);
    }
    if (pieces.length === 0) return { good: null, bad };
    const rows = pieces.reduce((n, p) => n + p.batch.rows, 0);
    return { good: { last: offsetOf(pieces[pieces.length - 1]!.last), rows, batch: concatBatches(pieces.map((p) => p.batch)), schema: pieces[0]!.schema }, bad };
  }

  /** The records' bytes as one input, one per line (a record's own newline would split it: it becomes a space). */
  private joined(rs: Pending[]): Buffer {
    const header = this.o.format === 'csv' ? Buffer.from(this.csvHeader!) : empty;
    let bytes = header.length;
    for (const r of rs) bytes += valueOf(r).length + 1;
    // Not from Node's shared pool: the buffer is moved to a parse worker whole.
    const out = Buffer.allocUnsafeSlow(bytes);
    let at = header.copy(out, 0);
    for (const r of rs) {
      const v = valueOf(r);
      v.copy(out, at);
      // A newline byte is never inside a UTF-8 sequence, so it can be replaced byte by byte.
      for (let i = v.indexOf(10); i >= 0; i = v.indexOf(10, i + 1)) out[at + i] = 32;
      at += v.length;
      out[at++] = 10;
    }
    return out;
  }

  private async deadLetter(partition: number, bad: Bad[]): Promise<void> {
    const ds = this.deadLetterDataset;
    if (!this.deadReady) {
      await this.db.createDataset(ds, { columns: deadLetterSchema.split(',').map((c) => { const [name, type] = c.split(':'); return { name: name!, type: type as 'string' }; }), partitionKey: ['kafka_partition'], sortKey: ['kafka_offset'] })
        .catch((e: unknown) => { if (!isStrataError(e, 'STRATA_ERR_DATASET_EXISTS')) throw e; });
      this.deadReady = true;
    }
    // One append per record, seq = its offset: a retry after a crash is a duplicate whatever the batch boundaries were.
    const results = await Promise.all(bad.map(({ record, error }) => this.db.ingest(ds, JSON.stringify({
      kafka_topic: this.o.topic, kafka_partition: partition, kafka_offset: record.offset, kafka_key: record.key ? record.key.toString('utf8') : null, kafka_value: valueOf(record).toString('utf8'), error, kafka_time: Number(record.timestamp),
    }), 'ndjson', { writer: `kafka-dead/${this.o.topic}/${partition}`, seq: offsetOf(record) })));
    this.counts.deadLetters += results.filter((r) => !r.duplicate).length;
  }
}
