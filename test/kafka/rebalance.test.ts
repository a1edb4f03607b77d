/**
 * Two live consumers of one group racing through a rebalance, on the real
 * broker: consumer A's batches are in flight (held at the append) when B
 * joins and takes some of A's partitions. B reads the stored positions, then
 * A's held batches land, then B's first batches (cut at other boundaries, so
 * their seqs are past A's) arrive. Only the append fence (`after`) stops B
 * from storing A's records a second time: B is told the writer moved, reads
 * the position again and goes on from there. Every record is stored once.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';
import { KafkaSource } from '../../src/kafka/source.js';
import { createTopic, kafkaBrokers } from '../helpers/kafka.js';

const partitions = 4;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A gate appends wait at until it opens; it counts the appends held and finished. */
class Gate {
  held = 0;
  done = 0;
  private open: () => void = () => {};
  private readonly opened = new Promise<void>((r) => { this.open = r; });
  release(): void { this.open(); }
  async pass<T>(f: () => Promise<T>): Promise<T> {
    this.held++;
    await this.opened;
    try { return await f(); } finally { this.done++; }
  }
}

/** The database as one consumer sees it: its appends wait at its gate, and the writers it reads are noted. */
function through(db: Strata, gate: Gate, read: Set<string>): Strata {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'append') return (...a: Parameters<Strata['append']>) => gate.pass(() => target.append(...a));
      if (prop === 'writer') return async (...a: Parameters<Strata['writer']>) => { const w = await target.writer(...a); read.add(a[1]); return w; };
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('a Kafka rebalance with batches in flight', () => {
  it('stores every record once when a partition moves between two live consumers mid-batch', async () => {
    const brokers = kafkaBrokers();
    const topic = `race-${Date.now().toString(36)}`;
    const n = 8_000;
    await createTopic(brokers, topic, partitions);
    const producer = new Kafka({ clientId: 'test', brokers: [brokers], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const send = (from: number, count: number): Promise<unknown> => producer.send({ topic, messages: Array.from({ length: count }, (_, j) => ({ partition: (from + j) % partitions, value: JSON.stringify({ id: from + j, v: from + j }) })) });
    await send(0, n);

    const db = await Strata.open({ store: 'memory:' });
    await db.createDataset('race', { columns: parseColumns('id:int64,v:float64') });
    const gateA = new Gate();
    const gateB = new Gate();
    const readA = new Set<string>();
    const readB = new Set<string>();
    const group = `race-${topic}`;
    const a = new KafkaSource(through(db, gateA, readA), { dataset: 'race', brokers: [brokers], topic, group, batchRows: 300, lingerMs: 50, sessionTimeoutMs: 6000 });
    const b = new KafkaSource(through(db, gateB, readB), { dataset: 'race', brokers: [brokers], topic, group, batchRows: 1000, lingerMs: 50, sessionTimeoutMs: 6000 });
    try {
      await a.start();
      // A holds a batch of every partition at the append.
      await until('A to hold a batch of each partition', () => gateA.held >= partitions);
      await b.start();
      // B owns some of A's partitions, has read their stored positions (none yet) and holds its first batch.
      await until('B to take partitions and hold a batch', () => readB.size > 0 && gateB.held > 0 && b.stats().partitions.length > 0);
      const moved = b.stats().partitions.map((p) => p.partition);
      expect(moved.length).toBeGreaterThan(0);
      expect(moved.length).toBeLessThan(partitions);
      // A's batches land first, then B's.
      const heldA = gateA.held;
      gateA.release();
      await until('A\'s held batches to land', () => gateA.done >= heldA);
      gateB.release();
      await send(n, n);
      const count = async (): Promise<number> => Number((await db.sql('select count(*) from race')).rows[0]![0]);
      await until('every record to be stored', async () => (await count()) >= 2 * n, 60_000);
      await sleep(500);
      const [rows, ids] = (await db.sql('select count(*), count(distinct id) from race')).rows[0]!.map(Number);
      expect([rows, ids]).toEqual([2 * n, 2 * n]);
      // The fence is what kept B's first batches out: B was told the writer had moved.
      expect(b.stats().moved).toBeGreaterThan(0);
      // Each partition's stored position is its last offset.
      for (let p = 0; p < partitions; p++) expect((await db.writer('race', a.writerOf(p)))?.seq).toBe(2 * n / partitions - 1);
    } finally {
      await producer.disconnect();
      await Promise.all([a.stop(), b.stop()]);
      await db.close();
    }
  }, 120_000);
});
