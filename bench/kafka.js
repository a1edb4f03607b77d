// Kafka into Strata: 1 M JSON records (4 partitions, ~80 bytes each) on a
// broker of our own (KRaft, loopback), consumed three ways from the start of
// the topic: a plain kafkajs consumer loop that only counts records (what
// the client itself reaches), the Strata source into the local store (with
// fsync), and the Strata source into Cassandra. Each time is from start to
// the last record stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Strata, parseColumns } from '../dist/index.js';
import { KafkaSource } from '../dist/kafka/source.js';
import { startKafka, stopKafka } from '../scripts/kafka/node.mjs';

const partitions = 4;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function produce(brokers, topic, n) {
  const kafka = new Kafka({ clientId: 'bench', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < n; i += 10_000) {
    await producer.send({ topic, messages: Array.from({ length: Math.min(10_000, n - i) }, (_, j) => ({ partition: (i + j) % partitions, value: JSON.stringify({ id: i + j, host: `h${(i + j) % 100}`, ts: 1_700_000_000_000 + i + j, v: (i + j) / 8 }) })) });
  }
  await producer.disconnect();
}

async function plainConsumer(brokers, topic, n) {
  const kafka = new Kafka({ clientId: 'bench', brokers: [brokers], logLevel: logLevel.NOTHING });
  const c = kafka.consumer({ groupId: `plain-${Date.now()}`, maxBytesPerPartition: 8 << 20 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const t = performance.now();
  await new Promise((done) => { void c.run({ eachBatch: async ({ batch }) => { seen += batch.messages.length; if (seen >= n) done(); } }); });
  const ms = performance.now() - t;
  await c.disconnect();
  return ms;
}

async function intoStrata(store, brokers, topic, n) {
  const db = await Strata.open({ store });
  await db.createDataset('k', { columns: parseColumns('id:int64,host:string,ts:timestamp,v:float64'), partitionKey: ['host'], sortKey: ['ts'] });
  const source = new KafkaSource(db, { dataset: 'k', brokers: [brokers], topic, group: `bench-${Date.now()}` });
  const t = performance.now();
  await source.start();
  while (source.stats().partitions.reduce((s, p) => s + p.position + 1, 0) < n) await sleep(20);
  const ms = performance.now() - t;
  await source.stop();
  const stored = Number((await db.sql('select count(*) from k')).rows[0][0]);
  await db.close();
  if (stored !== n) throw new Error(`stored ${stored} of ${n}`);
  return ms;
}

export async function benchKafka({ records = 1_000_000, cassandra = null, log = () => {} } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-bench-kafka-'));
  const port = 19_092;
  try {
    const broker = await startKafka({ dir: path.join(dir, 'broker'), port });
    log(`kafka: broker started in ${broker.seconds} s`);
    const topic = 'bench';
    const t = performance.now();
    await produce(broker.brokers, topic, records);
    const produceMs = performance.now() - t;
    const plainMs = await plainConsumer(broker.brokers, topic, records);
    const localMs = await intoStrata(path.join(dir, 'store'), broker.brokers, topic, records);
    log(`kafka: plain ${Math.round(records / plainMs * 1000)}/s, local ${Math.round(records / localMs * 1000)}/s`);
    const cassandraMs = cassandra ? await intoStrata(`cassandra://${cassandra}/strata_bench_kafka_${Date.now().toString(36)}`, broker.brokers, topic, records) : null;
    return { records, partitions, produceMs, plainMs, localMs, cassandraMs };
  } finally {
    await stopKafka({ dir: path.join(dir, 'broker'), port, kill: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

export function kafkaMarkdown(r) {
  const rate = (ms) => `${Math.round(r.records / ms * 1000).toLocaleString('en-US')}`;
  return [
    '## Kafka into Strata',
    '',
    `${r.records.toLocaleString('en-US')} JSON records over ${r.partitions} partitions on a local broker (KRaft), read from the start of the topic.`,
    '',
    '| consumer | seconds | records/s |',
    '|---|---:|---:|',
    `| plain kafkajs loop (counts only) | ${(r.plainMs / 1000).toFixed(1)} | ${rate(r.plainMs)} |`,
    `| strata kafka into the local store | ${(r.localMs / 1000).toFixed(1)} | **${rate(r.localMs)}** (target ≥ 200,000) |`,
    ...(r.cassandraMs !== null ? [`| strata kafka into Cassandra (1 node) | ${(r.cassandraMs / 1000).toFixed(1)} | ${rate(r.cassandraMs)} |`] : []),
    '',
  ].join('\n');
}
