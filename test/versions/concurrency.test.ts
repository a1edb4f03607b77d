/**
 * Concurrent writers (DESIGN.md semantics 3): two processes append to one
 * dataset at the same time, on a local store and on Cassandra. Commits race for each version number with
 * put-if-absent; the loser replans on the new head. Nothing may be lost,
 * doubled or overwritten.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata } from '../../src/index.js';
import { batchRows, batchSum, dataset, schema } from '../fixtures/batches.mjs';
import { cassandraUrl } from '../helpers/cassandra.js';
import { assertBuilt, killAllChildren, startAppendChild } from './children.js';

const writerIds = ['a', 'b'];

function concurrentWriters(backend: string, batches: number, makeStore: () => Promise<string>, removeStore: (store: string) => Promise<void>): void {
  describe(`concurrent writers: ${backend}`, () => {
    let dir: string;

    beforeAll(async () => {
      assertBuilt();
      dir = await makeStore();
    });

    afterAll(async () => {
      killAllChildren();
      await removeStore(dir);
    });

    it(`two processes appending ${batches} batches each get versions 1..${2 * batches}, each batch exactly once`, async () => {
      const setup = await Strata.open({ store: dir });
      await setup.createDataset(dataset, schema);
      await setup.close();

      // Both wait after opening the store, so their appends really overlap.
      const children = writerIds.map((writer) => startAppendChild({ store: dir, writer, from: 1, to: batches, wait: true }));
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.process.stdin!.write('go\n');
      const exits = await Promise.all(children.map((c) => c.exited));
      exits.forEach((exit, i) => expect(exit, `writer ${writerIds[i]}: ${children[i]!.stderr()}`).toEqual({ code: 0, signal: null }));

      // What each writer was told: every batch committed (none a duplicate), in order, on distinct versions.
      const told = children.flatMap((c) => c.acks);
      for (const c of children) {
        expect(c.acks.map((a) => a.seq)).toEqual(Array.from({ length: batches }, (_, i) => i + 1));
        expect(c.acks.every((a) => !a.duplicate)).toBe(true);
      }
      expect(told.map((a) => a.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 2 * batches }, (_, i) => i + 1));

      const db = await Strata.open({ store: dir });
      try {
        const versions = await db.versions(dataset);
        expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 2 * batches + 1 }, (_, i) => i));
        const appends = versions.slice(1);
        expect(appends.every((v) => v.kind === 'append')).toBe(true);
        // The test means something only if the writers really overlapped (typically ~75 switches).
        const switches = appends.filter((v, i) => i > 0 && v.writer !== appends[i - 1]!.writer).length;
        expect(switches, 'times the committing writer changed').toBeGreaterThan(4);
        // Each (writer, seq) exactly once, and each writer's seqs in commit order.
        const pairs = appends.map((v) => `${v.writer}:${v.seq}`);
        expect(new Set(pairs).size).toBe(pairs.length);
        for (const w of writerIds) {
          expect(appends.filter((v) => v.writer === w).map((v) => v.seq)).toEqual(Array.from({ length: batches }, (_, i) => i + 1));
        }
        // The versions each writer was told are the ones that hold its batches.
        for (const a of children[0]!.acks) expect(versions[a.version]).toMatchObject({ writer: 'a', seq: a.seq });
        for (const a of children[1]!.acks) expect(versions[a.version]).toMatchObject({ writer: 'b', seq: a.seq });

        let rows = 0;
        let sum = 0;
        for (const w of writerIds) for (let s = 1; s <= batches; s++) { rows += batchRows(s); sum += batchSum(w, s); }
        const agg = await db.sql(`select count(*), sum(v), count(distinct v) from ${dataset}`);
        expect(agg.rows[0]).toEqual([rows, sum, rows]);
        const head = await db.snapshot(dataset);
        expect(head.rows).toBe(rows);
        expect(Object.fromEntries([...head.writers].map(([w, p]) => [w, p.seq]))).toEqual({ a: batches, b: batches });
      } finally {
        await db.close();
      }
    }, 300_000);
  });
}

concurrentWriters('local', 50, () => fs.mkdtemp(path.join(os.tmpdir(), 'strata-conc-')), (dir) => fs.rm(dir, { recursive: true, force: true }));
concurrentWriters('cassandra', 200, async () => cassandraUrl('strata_conc'), async () => {});
