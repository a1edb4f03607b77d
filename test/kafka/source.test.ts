/**
 * The Kafka source against the real broker the test setup started:
 * `strata kafka` processes killed with SIGKILL over and over (and the
 * broker itself killed and restarted once) while a million records flow,
 * two consumers of one group with one killed, and malformed records; at the
 * end every record is in the dataset exactly once (by its id, and each
 * partition's stored position is its last offset) and every bad record is
 * in the dead-letter dataset with its offset.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Float64, Int64, Table, TimestampMillisecond, Utf8, makeVector, tableToIPC, vectorFromArray } from 'apache-arrow';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';
// @ts-expect-error: a plain ESM script without type declarations
import { startKafka, stopKafka } from '../../scripts/kafka/node.mjs';
import { kafkaBrokers, produce as produceTo } from '../helpers/kafka.js';
import { seededRandom } from '../helpers/random.js';

const bin = path.resolve('bin/strata');
const partitions = 4;
const records = Number(process.env.STRATA_KAFKA_RECORDS ?? 1_000_000);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const produce = (brokers: string, topic: string, n: number, value: (i: number) => string | Buffer): Promise<void> => produceTo(brokers, topic, partitions, n, value);

/** Topic names of this run: a broker left running by a developer may hold earlier runs' topics. */
const run = Date.now().toString(36);
const record = (i: number): string => JSON.stringify({ id: i, host: `h${i % 50}`, ts: 1_700_000_000_000 + i, v: i / 8 });

describe('strata kafka on a real broker', () => {
  const children = new Set<ChildProcess>();
  afterAll(() => { for (const c of children) c.kill('SIGKILL'); });

  const store = path.join(mkdtempSync(path.join(tmpdir(), 'strata-kafka-')), 'store');
  const source = (dataset: string, topic: string, group: string): ChildProcess => {
    // Small batches: more commits, so more moments for a kill to land between them.
    const c = spawn(bin, ['--store', store, 'kafka', dataset, '--brokers', kafkaBrokers(), '--topic', topic, '--group', group, '--session-timeout-ms', '2000', '--batch-rows', '5000'], { stdio: 'ignore' });
    children.add(c);
    c.once('exit', () => children.delete(c));
    return c;
  };
  const kill = async (c: ChildProcess): Promise<void> => {
    if (c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  };
  const count = async (db: Strata, dataset: string): Promise<number> => Number((await db.sql(`select count(*) from ${dataset}`)).rows[0]![0]);
  const waitFor = async (db: Strata, dataset: string, n: number, ms: number): Promise<number> => {
    const until = Date.now() + ms;
    let c = 0;
    while (Date.now() < until && (c = await count(db, dataset).catch(() => 0)) < n) await sleep(250);
    return c;
  };
  const openDb = async (): Promise<Strata> => Strata.open({ store, limits: { compactionIdleMs: 0 } });
  const columns = parseColumns('id:int64,host:string,ts:timestamp,v:float64');

  it(`stores ${records.toLocaleString('en-US')} records exactly once through 20 kill -9s and a broker restart`, async () => {
    const brokers = kafkaBrokers();
    const db = await openDb();
    await db.createDataset('ev', { columns, partitionKey: ['host'], sortKey: ['ts'] });
    await produce(brokers, `events-${run}`, records, record);
    const rnd = seededRandom(42);
    const recoveries: number[] = [];
    const storedAtKills: number[] = [];
    for (let k = 0; k < 20; k++) {
      const before = await count(db, 'ev');
      const c = source('ev', `events-${run}`, 'g1');
      if (k === 10) {
        // The broker dies mid-stream and comes back; the source rides it out.
        await sleep(1500);
        await stopKafka({ kill: true });
        await sleep(1000);
        await startKafka();
      }
      // Kill it at a random moment once it is storing again (or after a while if it has nothing left to do).
      const t0 = Date.now();
      while (Date.now() - t0 < 15_000 && await count(db, 'ev') <= before && before < records) await sleep(50);
      recoveries.push(Date.now() - t0);
      await sleep(Math.floor(rnd() * 250));
      await kill(c);
      storedAtKills.push(await count(db, 'ev'));
    }
    // Every kill landed mid-stream: the dataset was not complete yet.
    expect(storedAtKills.filter((n) => n < records).length, `rows stored at each kill: ${storedAtKills.join(', ')}`).toBe(20);
    const last = source('ev', `events-${run}`, 'g1');
    const stored = await waitFor(db, 'ev', records, 240_000);
    await sleep(1000); // anything more (a duplicate) would show up now
    last.kill('SIGTERM');
    expect(stored).toBe(records);
    const all = (await db.sql('select count(*), count(distinct id), min(id), max(id) from ev')).rows[0]!;
    expect(all.map(Number)).toEqual([records, records, 0, records - 1]);
    // Each partition's stored position is its last offset.
    for (let p = 0; p < partitions; p++) expect((await db.writer('ev', `kafka/events-${run}/${p}`))?.seq, `partition ${p}`).toBe(records / partitions - 1);
    console.log(`kafka kill test: from restart to storing again (ms): median ${[...recoveries].sort((a, b) => a - b)[10]}, max ${Math.max(...recoveries)}; rows stored at each kill: ${storedAtKills.join(' ')}`);
    await db.close();
  }, 600_000);

  it('hands a killed consumer\'s partitions to the other consumer of its group, counts exact', async () => {
    const n = 200_000;
    const db = await openDb();
    await db.createDataset('ev2', { columns, partitionKey: ['host'], sortKey: ['ts'] });
    await produce(kafkaBrokers(), `events2-${run}`, n, record);
    const a = source('ev2', `events2-${run}`, 'g2');
    const b = source('ev2', `events2-${run}`, 'g2');
    await waitFor(db, 'ev2', n / 4, 60_000);
    await kill(a);
    expect(await waitFor(db, 'ev2', n, 120_000)).toBe(n);
    await sleep(1000);
    b.kill('SIGTERM');
    expect((await db.sql('select count(*), count(distinct id) from ev2')).rows[0]!.map(Number)).toEqual([n, n]);
    await db.close();
  }, 300_000);

  it('sends malformed records to the dead-letter dataset with their offsets, and stores the rest', async () => {
    const n = 40_000;
    const db = await openDb();
    await db.createDataset('ev3', { columns, partitionKey: ['host'], sortKey: ['ts'] });
    // 1 %: every 100th record, in turn not JSON, JSON with a value its column cannot hold, and empty (which would parse as no row).
    const bad = (i: number): boolean => i % 100 === 7;
    const malformed = (i: number): string => [`{"id": ${i}, "host": `, JSON.stringify({ id: i, host: 'h', ts: 1, v: 'not a number' }), ''][Math.floor(i / 100) % 3]!;
    await produce(kafkaBrokers(), `events3-${run}`, n, (i) => (!bad(i) ? record(i) : malformed(i)));
    const c = source('ev3', `events3-${run}`, 'g3');
    const good = n - n / 100;
    expect(await waitFor(db, 'ev3', good, 120_000)).toBe(good);
    expect(await waitFor(db, 'ev3_dead_letters', n / 100, 30_000)).toBe(n / 100);
    await sleep(500);
    c.kill('SIGTERM');
    const dead = (await db.sql('select kafka_partition, kafka_offset, error from ev3_dead_letters order by kafka_partition, kafka_offset')).rows;
    // Record i went to partition i % 4 at offset floor(i / 4).
    const expected = Array.from({ length: n }, (_, i) => i).filter(bad).map((i) => [i % partitions, Math.floor(i / partitions)]).sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
    expect(dead.map((r) => [Number(r[0]), Number(r[1])])).toEqual(expected);
    expect(new Set(dead.map((r) => String(r[2]).split(':')[0]))).toEqual(new Set(['STRATA_ERR_BAD_FORMAT', 'STRATA_ERR_BAD_ROW']));
    expect((await db.sql('select count(*), count(distinct id) from ev3')).rows[0]!.map(Number)).toEqual([good, good]);
    await db.close();
  }, 300_000);

  it('runs inside strata serve: listed in /health and /metrics with its lag; --from latest skips what came before', async () => {
    const db = await openDb();
    await db.createDataset('ev4', { columns, partitionKey: ['host'], sortKey: ['ts'] });
    await db.createDataset('ev5', { columns, partitionKey: ['host'], sortKey: ['ts'] });
    await produce(kafkaBrokers(), `events4-${run}`, 10_000, record);
    await produce(kafkaBrokers(), `events5-${run}`, 300, record);
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const server = spawn(bin, ['--store', store, 'serve', '--port', String(port), '--kafka', `ev4=events4-${run}@g4`, '--kafka-brokers', kafkaBrokers()], { stdio: 'ignore' });
    children.add(server);
    const latest = spawn(bin, ['--store', store, 'kafka', 'ev5', '--brokers', kafkaBrokers(), '--topic', `events5-${run}`, '--from', 'latest'], { stdio: 'ignore' });
    children.add(latest);
    let health: { sources?: { dataset: string; records: number; lag: number }[] } = {};
    for (let i = 0; i < 240 && !(health.sources?.[0]?.records === 10_000 && health.sources[0].lag === 0); i++) {
      await sleep(250);
      health = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json() as Promise<typeof health>, () => ({}));
    }
    expect(health.sources).toEqual([{ dataset: 'ev4', topic: `events4-${run}`, records: 10_000, deadLetters: 0, lag: 0 }]);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain(`strata_kafka_records_total{dataset="ev4",topic="events4-${run}"} 10000`);
    expect(metrics).toMatch(new RegExp(`strata_kafka_lag_records\\{dataset="ev4",topic="events4-${run}",partition="3"\\} 0`));
    server.kill('SIGTERM');
    // The latest-policy source joined after 300 records (once its group is stable): it stores only what comes next.
    const admin = new Kafka({ clientId: 'test', brokers: [kafkaBrokers()], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    for (let i = 0; i < 120; i++) {
      const [g] = (await admin.describeGroups(['strata-ev5'])).groups;
      if (g?.state === 'Stable' && g.members.length === 1) break;
      await sleep(250);
    }
    await admin.disconnect();
    await sleep(1000); // its partitions' positions read and seeks made
    await produce(kafkaBrokers(), `events5-${run}`, 200, (i) => record(1_000_000 + i));
    expect(await waitFor(db, 'ev5', 200, 60_000)).toBe(200);
    await sleep(1000);
    latest.kill('SIGTERM');
    expect((await db.sql('select min(id), count(*) from ev5')).rows[0]!.map(Number)).toEqual([1_000_000, 200]);
    await db.close();
  }, 300_000);

  it('reads CSV records and Arrow records (an IPC stream each), bad ones to dead letters', async () => {
    const db = await openDb();
    await db.createDataset('ev6', { columns, partitionKey: ['host'], sortKey: ['ts'] });
    await db.createDataset('ev7', { columns, partitionKey: ['host'], sortKey: ['ts'] });
    await produce(kafkaBrokers(), `events6-${run}`, 1_000, (i) => (i % 250 === 3 ? `${i},h,not a time,1` : `${i},h${i % 7},${1_700_000_000_000 + i},${i / 2}`));
    const arrow = (i: number): Buffer => Buffer.from(tableToIPC(new Table({
      id: makeVector({ type: new Int64(), data: BigInt64Array.from([BigInt(2 * i), BigInt(2 * i + 1)]) }), host: vectorFromArray(['a', 'b'], new Utf8()),
      ts: makeVector({ type: new TimestampMillisecond(), data: BigInt64Array.from([BigInt(i), BigInt(i + 1)]) }), v: makeVector({ type: new Float64(), data: Float64Array.from([i, -i]) }),
    }), 'stream'));
    await produce(kafkaBrokers(), `events7-${run}`, 400, (i) => (i % 100 === 9 ? Buffer.from('not arrow') : arrow(i)));
    const csv = spawn(bin, ['--store', store, 'kafka', 'ev6', '--brokers', kafkaBrokers(), '--topic', `events6-${run}`, '--format', 'csv'], { stdio: 'ignore' });
    const arr = spawn(bin, ['--store', store, 'kafka', 'ev7', '--brokers', kafkaBrokers(), '--topic', `events7-${run}`, '--format', 'arrow'], { stdio: 'ignore' });
    children.add(csv); children.add(arr);
    expect(await waitFor(db, 'ev6', 996, 60_000)).toBe(996);
    expect(await waitFor(db, 'ev7', 792, 60_000)).toBe(792);
    expect(await waitFor(db, 'ev6_dead_letters', 4, 30_000)).toBe(4);
    expect(await waitFor(db, 'ev7_dead_letters', 4, 30_000)).toBe(4);
    await sleep(500);
    csv.kill('SIGTERM'); arr.kill('SIGTERM');
    expect((await db.sql('select count(distinct id), sum(v) from ev7')).rows[0]!.map(Number)).toEqual([792, 0]);
    await db.close();
  }, 120_000);
});
