/**
 * Compaction changes no answer: random workloads (pipelined appends over
 * many small partitions, rollbacks, added columns), then compactions tiered
 * and full; every query is answered identically at the head and at every
 * earlier version, before and after, and a `compact` version answers as the
 * version before it. Also: compaction goes on while appends do, loses
 * gracefully to a rollback, runs by itself in the background, and a
 * kill -9 in the middle of it leaves every version answering as before.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Strata, openStore, parseColumns } from '../../src/index.js';
import type { Store } from '../../src/index.js';
import { cassandraUrl } from '../helpers/cassandra.js';

const queries = [
  'select count(*), sum(v), min(ts), max(ts), count(note) from {d}',
  'select k, count(*), sum(v), max(ts), max(note) from {d} group by k order by k',
  'select * from {d} order by all',
];

async function answersAt(db: Strata, dataset: string, version: number): Promise<unknown[]> {
  return Promise.all(queries.map(async (q) => (await db.sql(q.replace('{d}', `${dataset} AT (VERSION => ${version})`))).rows));
}

type Op = { t: 'append'; rows: [number, number, number][] } | { t: 'rollback'; back: number } | { t: 'addColumn' } | { t: 'compact'; full: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('append' as const), rows: fc.array(fc.tuple(fc.nat(12), fc.integer({ min: 0, max: 500 }), fc.integer({ min: -5, max: 5 })), { minLength: 1, maxLength: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rollback' as const), back: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'addColumn' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
);

function differential(backend: string, open: () => Promise<Store>): void {
  it(`answers every query at every version identically before and after compaction (${backend})`, async () => {
    const store = await open();
    let run = 0;
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 3, maxLength: 14 }), async (ops) => {
      const name = `d${run++}`;
      const db = await Strata.open({ store, limits: { compactionIdleMs: 0, compactionTierChunks: 2 } });
      try {
        await db.createDataset(name, { columns: parseColumns('k:string,ts:timestamp,v:int32,note:string'), partitionKey: ['k'], sortKey: ['ts'], chunkRows: 16 });
        const answers = (v: number): Promise<unknown[]> => answersAt(db, name, v);
        const reference: unknown[][] = [];
        let seq = 0;
        for (const op of ops) {
          const head = await db.headVersion(name);
          if (op.t === 'append') {
            // The rows of one op go in as several pipelined batches of one writer.
            const parts = [op.rows.slice(0, 10), op.rows.slice(10, 20), op.rows.slice(20)].filter((p) => p.length > 0);
            await Promise.all(parts.map((p) => db.ingest(name, p.map(([k, ts, v]) => JSON.stringify({ k: `k${k}`, ts: 1_700_000_000_000 + ts * 1000, v, note: v % 2 === 0 ? null : `n${v}` })).join('\n'), 'ndjson', { writer: 'w', seq: ++seq })));
          } else if (op.t === 'rollback') {
            await db.rollback(name, Math.max(0, head - op.back));
          } else if (op.t === 'addColumn') {
            await db.addColumn(name, { name: `x${head}`, type: 'int32' });
          } else {
            const before = await answers(head);
            const r = await db.compact(name, { full: op.full });
            if (r.version !== null) {
              expect(r.rows).toBeGreaterThan(0);
              expect((await db.versions(name))[r.version]!.kind).toBe('compact');
              expect(await answers(r.version), 'a compact version answers as the one before it').toEqual(before);
            }
          }
          const v = await db.headVersion(name);
          while (reference.length <= v) reference.push(await answers(reference.length));
        }
        const r = await db.compact(name, { full: true });
        const head = await db.headVersion(name);
        for (let v = 0; v <= head; v++) {
          expect(await answers(v), `version ${v}`).toEqual(v < reference.length ? reference[v] : reference[reference.length - 1]);
        }
        // After a full compaction nothing is mixed and no partition has two small chunks.
        if (r.version !== null) expect((await db.describe(name)).pendingCompactionChunks).toBe(0);
      } finally {
        await db.drop(name);
      }
    }), { numRuns: Number(process.env.STRATA_PROPERTY_RUNS ?? 25), seed: process.env.STRATA_TEST_SEED ? Number(process.env.STRATA_TEST_SEED) : undefined });
    await store.close();
  }, 180_000);
}

describe('compaction', () => {
  differential('memory', async () => openStore('memory:'));
  differential('local', async () => openStore(path.join(mkdtempSync(path.join(tmpdir(), 'strata-compact-')), 'store')));
  differential('cassandra', async () => openStore(cassandraUrl('strata_compact')));

  it('goes on while appends do, and never blocks them', async () => {
    const db = await Strata.open({ store: 'memory:', limits: { compactionIdleMs: 0 } });
    await db.createDataset('d', { columns: parseColumns('k:string,ts:timestamp,v:int32'), partitionKey: ['k'], sortKey: ['ts'] });
    const append = (i: number): Promise<unknown> => db.ingest('d', Array.from({ length: 20 }, (_, h) => `{"k":"h${h}","ts":${i * 1000},"v":${i}}`).join('\n'), 'ndjson', { writer: 'w', seq: i });
    for (let i = 1; i <= 200; i++) await append(i);
    const appends: Promise<unknown>[] = [];
    const compaction = db.compact('d');
    for (let i = 201; i <= 260; i++) appends.push(append(i));
    const [r] = await Promise.all([compaction, ...appends]);
    expect((r as { chunksIn: number }).chunksIn).toBeGreaterThan(0);
    expect((await db.sql('select count(*), count(distinct v) from d')).rows).toEqual([[5200, 260]]);
    await db.compact('d');
    const info = await db.describe('d');
    expect([info.mixedChunks, info.pendingCompactionChunks, info.chunks]).toEqual([0, 0, 20]);
    await db.close();
  });

  it('commits nothing when a rollback took its inputs first', async () => {
    const db = await Strata.open({ store: 'memory:', limits: { compactionIdleMs: 0 } });
    await db.createDataset('d', { columns: parseColumns('k:string,v:int32'), partitionKey: ['k'] });
    for (let i = 1; i <= 5; i++) await db.ingest('d', `k,v\na,${i}\nb,${i}\n`, 'csv');
    const compaction = db.compact('d');
    await db.rollback('d', 2);
    const r = await compaction;
    // Either it committed before the rollback, or it saw its inputs gone and committed nothing.
    const versions = await db.versions('d');
    if (r.version === null) expect(versions.map((v) => v.kind)).not.toContain('compact');
    expect((await db.sql('select sum(v) from d')).rows).toEqual([[6]]);
    await db.close();
  });

  it('runs by itself in the background, and settles each partition into one chunk', async () => {
    const db = await Strata.open({ store: 'memory:', limits: { compactionIntervalMs: 50, compactionIdleMs: 200 } });
    await db.createDataset('d', { columns: parseColumns('k:string,ts:timestamp,v:int32'), partitionKey: ['k'], sortKey: ['ts'] });
    for (let i = 1; i <= 100; i++) await db.ingest('d', Array.from({ length: 10 }, (_, h) => `{"k":"h${h}","ts":${i},"v":${i}}`).join('\n'), 'ndjson');
    for (let i = 0; i < 100 && (await db.describe('d')).pendingCompactionChunks > 0; i++) await new Promise((r) => setTimeout(r, 50));
    const info = await db.describe('d');
    expect([info.chunks, info.mixedChunks, info.pendingCompactionChunks, info.rows]).toEqual([10, 0, 0, 1000]);
    expect(db.compactionTotals().commits).toBeGreaterThan(0);
    await db.close();
  });

  it('leaves every version answering as before when killed -9 in the middle', async () => {
    const store = path.join(mkdtempSync(path.join(tmpdir(), 'strata-compact-kill-')), 'store');
    const db = await Strata.open({ store, limits: { compactionIdleMs: 0 } });
    await db.createDataset('d', { columns: parseColumns('k:string,ts:timestamp,v:int32,note:string'), partitionKey: ['k'], sortKey: ['ts'] });
    for (let i = 1; i <= 150; i++) await db.ingest('d', Array.from({ length: 30 }, (_, h) => `{"k":"h${h}","ts":${i},"v":${i * h}}`).join('\n'), 'ndjson');
    const reference: unknown[][] = [];
    for (let v = 0; v <= 150; v++) reference.push(await answersAt(db, 'd', v));
    await db.close();
    // `strata compact` starts in about 0.35 s and compacts this in about 0.25 s: the kills land before, in and after it.
    for (let kill = 0; kill < 8; kill++) {
      const child = spawn(process.execPath, [path.resolve('bin/strata'), '--store', store, 'compact', 'd'], { stdio: 'ignore' });
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise((r) => setTimeout(r, 300 + kill * 50));
      child.kill('SIGKILL');
      await exited;
    }
    const after = await Strata.open({ store, limits: { compactionIdleMs: 0 } });
    for (let v = 0; v <= 150; v++) expect(await answersAt(after, 'd', v), `version ${v}`).toEqual(reference[v]);
    const head = await after.headVersion('d');
    expect(await answersAt(after, 'd', head)).toEqual(reference[150]);
    await after.compact('d');
    expect(await answersAt(after, 'd', await after.headVersion('d'))).toEqual(reference[150]);
    await after.close();
  }, 240_000);
});
