/**
 * Crash safety (DESIGN.md semantics 1 and 2): a writer process is SIGKILLed
 * at random moments while it appends; after every kill the store must open,
 * hold every acknowledged commit whole, and hold nothing partial. The next
 * writer re-sends the last unacknowledged batch, which must land exactly once.
 *
 * Two independent stores run side by side, each a chain of trials that
 * grows its history, so the 50+ kills fit in well under half a minute.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata } from '../../src/index.js';
import { batchRows, batchSum, dataset, schema } from '../fixtures/batches.mjs';
import type { Ack } from './children.js';
import { assertBuilt, killAllChildren, seededRandom, startAppendChild, testSeed } from './children.js';

/** Two chains keep both cores busy; each child spends ~0.4 s of CPU loading DuckDB and Arrow. */
const chains = 2;
const trialsPerChain = 26;
/**
 * Where a kill lands: after a random number (0 to this) of acknowledged appends, plus a
 * random pause of up to an append or two, so kills hit every step of an append (chunk files,
 * the version record, between the commit and its ACK) and not only process start-up.
 */
const acksBeforeKillMax = 6;
const pauseMaxMs = 40;

const seed = testSeed();

/** Rows and sum of v over versions 1..v (version v holds seq v of writer w). */
function expectedAt(v: number): { rows: number; sum: number } {
  let rows = 0;
  let sum = 0;
  for (let s = 1; s <= v; s++) { rows += batchRows(s); sum += batchSum('w', s); }
  return { rows, sum };
}

/** Opens the store afresh and checks it; returns the head version. Versions below `checked` were checked before. */
async function checkStore(dir: string, lastAcked: number, checked: number, where: string): Promise<number> {
  const db = await Strata.open({ store: dir });
  try {
    const versions = await db.versions(dataset);
    const head = versions.length - 1;
    // Every ACKed commit is there; at most the one in flight at the kill is there unacknowledged.
    expect(head, `${where}: head vs last ACK ${lastAcked}`).toBeGreaterThanOrEqual(lastAcked);
    expect(head, `${where}: head vs last ACK ${lastAcked}`).toBeLessThanOrEqual(lastAcked + 1);
    // Exactly once, no gaps: version v holds seq v.
    for (const v of versions.slice(1)) expect(v, `${where}: version ${v.version}`).toMatchObject({ kind: 'append', writer: 'w', seq: v.version, rowsAdded: batchRows(v.version) });
    // Older versions were checked after earlier kills (and versions are immutable); check the new ones.
    for (let v = checked; v <= head; v++) expect((await db.snapshot(dataset, v)).rows, `${where}: rows at version ${v}`).toBe(expectedAt(v).rows);
    expect((await db.snapshot(dataset)).writers.get('w')?.seq ?? 0, `${where}: writer position`).toBe(head);

    // Reading every column of every live chunk checks sizes and checksums; the sum checks content.
    const { rows, sum } = expectedAt(head);
    const all = await db.sql(`select * from ${dataset}`);
    expect(all.rows.length, `${where}: rows read at head`).toBe(rows);
    const agg = await db.sql(`select count(*), coalesce(sum(v), 0) from ${dataset}`);
    expect(agg.rows[0], `${where}: count and sum at head`).toEqual([rows, sum]);
    return head;
  } finally {
    await db.close();
  }
}

/** One store: trial after trial, start a writer, kill it, check what it left. */
async function runChain(dir: string, chain: number): Promise<number> {
  const random = seededRandom(seed + chain);
  const setup = await Strata.open({ store: dir });
  await setup.createDataset(dataset, schema);
  await setup.close();

  let lastAcked = 0; // seq = version of the last acknowledged append
  let head = 0;
  let kills = 0;
  for (let trial = 0; trial < trialsPerChain; trial++) {
    const where = `seed ${seed}, chain ${chain}, trial ${trial}`;
    const from = lastAcked + 1; // re-sends the batch that was in flight at the last kill
    const child = startAppendChild({ store: dir, writer: 'w', from });
    await child.ready;
    await child.acked(Math.floor(random() * (acksBeforeKillMax + 1)));
    await sleep(random() * pauseMaxMs);
    child.process.kill('SIGKILL');
    const exit = await child.exited;
    expect(exit.signal, `${where}: the writer died before the kill: ${child.stderr()}`).toBe('SIGKILL');
    kills++;

    checkAcks(child.acks, from, head, where);
    if (child.acks.length > 0) lastAcked = child.acks[child.acks.length - 1]!.seq;
    head = await checkStore(dir, lastAcked, head, where);
  }
  return kills;
}

/** What the writer was told: consecutive seqs from `from`, version = seq, only a re-send of a committed batch is a duplicate. */
function checkAcks(acks: Ack[], from: number, headBefore: number, where: string): void {
  acks.forEach((ack, i) => {
    expect(ack.seq, `${where}: ack ${i}`).toBe(from + i);
    expect(ack.version, `${where}: ack ${i} version`).toBe(ack.seq);
    // The first batch is the one in flight at the last kill: committed then (a duplicate now) or not at all.
    expect(ack.duplicate, `${where}: ack ${i} duplicate`).toBe(ack.seq <= headBefore);
  });
}

describe('crash safety', () => {
  const dirs: string[] = [];

  beforeAll(async () => {
    assertBuilt();
    for (let i = 0; i < chains; i++) dirs.push(await fs.mkdtemp(path.join(os.tmpdir(), 'strata-crash-')));
  });

  afterAll(async () => {
    killAllChildren();
    await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  });

  it(`a writer killed at random moments loses no acknowledged commit and leaves nothing partial (seed ${seed})`, async () => {
    const kills = await Promise.all(dirs.map((dir, i) => runChain(dir, i)));
    expect(kills.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(50);
  }, 60_000);
});
