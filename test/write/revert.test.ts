/**
 * Deletes and reverts as a user runs them, on every backend: each kind of
 * version reverted (append, delete, add_column, rollback, revert), after
 * compaction merged the batch with others; what happens to the writer's
 * seq; the cases where two deletes took the same row; and every refusal,
 * which writes nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Strata, openStore, parseColumns } from '../../src/index.js';
import type { Store } from '../../src/index.js';
import { cassandraUrl } from '../helpers/cassandra.js';

/** Rows x = from..to-1 over three partitions, as NDJSON. */
const rows = (from: number, to: number, extra: Record<string, unknown> = {}): string =>
  Array.from({ length: to - from }, (_, i) => JSON.stringify({ k: `h${(from + i) % 3}`, ts: from + i, x: from + i, ...extra })).join('\n');

async function open(store: Store | string): Promise<Strata> {
  const db = await Strata.open({ store, limits: { compactionIdleMs: 0 } });
  await db.createDataset('v', { columns: parseColumns('k:string,ts:timestamp,x:int32'), partitionKey: ['k'], sortKey: ['ts'], chunkRows: 16 });
  return db;
}

const xs = async (db: Strata, version?: number): Promise<number[]> =>
  (await db.sql(`select x from v${version === undefined ? '' : ` AT (VERSION => ${version})`} order by x`)).rows.map((r) => r[0] as number);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

function lifecycleSuite(backend: string, store: () => Promise<Store>): void {
  it(`deletes and reverts every kind of version, through compaction (${backend})`, async () => {
    const db = await open(await store());
    for (let b = 0; b < 4; b++) await db.ingest('v', rows(b * 20, b * 20 + 20), 'ndjson', { writer: 'w', seq: b + 1 }); // versions 1-4
    // Compaction merges the four batches' rows into the partitions' chunks: a batch is no longer a chunk.
    expect((await db.compact('v')).version).toBe(5);

    // Revert an append (version 2, rows 20-39), after its rows were merged with others.
    expect(await db.revert('v', 2)).toMatchObject({ version: 6, revertOf: 2, rowsRemoved: 20, rowsAdded: 0, off: [2], on: [] });
    expect(await xs(db)).toEqual([...range(0, 20), ...range(40, 80)]);
    // Its seq stays used: a retry is refused, not stored again; a corrected batch goes under a new seq.
    await expect(db.ingest('v', rows(20, 40), 'ndjson', { writer: 'w', seq: 2 })).rejects.toMatchObject({ code: 'STRATA_ERR_SEQ_REVERTED', details: { version: 2 } });
    await expect(db.revert('v', 2)).rejects.toMatchObject({ code: 'STRATA_ERR_NOTHING_TO_REVERT', message: expect.stringContaining('by version 6') });

    // A delete (version 7) by a predicate only DuckDB evaluates, then one the engine does (version 8).
    expect(await db.delete('v', 'x % 10 = 3')).toMatchObject({ version: 7, rows: 6, duplicate: false });
    expect(await db.delete('v', "x >= 60 and k = 'h0'", { writer: 'ops', seq: 1 })).toMatchObject({ version: 8, rows: 6 });
    expect(await db.delete('v', "x >= 60 and k = 'h0'", { writer: 'ops', seq: 1 })).toEqual({ version: 8, rows: 6, duplicate: true, chunks: 0 });
    const afterDeletes = [...range(0, 20), ...range(40, 80)].filter((x) => x % 10 !== 3 && !(x >= 60 && x % 3 === 0));
    expect(await xs(db)).toEqual(afterDeletes);
    // Time travel still sees the rows.
    expect(await xs(db, 6)).toEqual([...range(0, 20), ...range(40, 80)]);

    // Revert the first delete: its rows come back, the second delete's stay gone. Row 63 comes back too: a delete
    // takes rows, not a predicate, and the second one never took it (it was gone already).
    expect(await db.revert('v', 7)).toMatchObject({ version: 9, rowsAdded: 6, rowsRemoved: 0 });
    expect(await xs(db)).toEqual([...range(0, 20), ...range(40, 80)].filter((x) => !(x >= 60 && x % 3 === 0 && x !== 63)));
    // Revert of the revert: the rows go again.
    expect(await db.revert('v', 9)).toMatchObject({ version: 10, rowsRemoved: 6, off: [9], on: [7] });
    expect(await xs(db)).toEqual(afterDeletes);
    // Revert of the revert of the append: batch 2 comes back whole (no delete in effect took its rows), and its seq is a duplicate again.
    expect(await db.revert('v', 6)).toMatchObject({ version: 11, rowsAdded: 20, on: [2] });
    expect(await xs(db)).toEqual([...afterDeletes, ...range(20, 40)].sort((a, b) => a - b));
    expect(await db.ingest('v', rows(20, 40), 'ndjson', { writer: 'w', seq: 2 })).toMatchObject({ version: 2, duplicate: true });

    // Compaction writes masked chunks out; no answer changes.
    const before = await xs(db);
    expect((await db.compact('v')).version).toBe(12);
    expect(await xs(db)).toEqual(before);
    expect([...(await db.snapshot('v')).chunks.values()].some((c) => c.mask)).toBe(false);

    // A rollback (to 4: four batches, no delete), then its revert: back to version 12's rows.
    expect((await db.rollback('v', 4)).version).toBe(13);
    expect(await xs(db)).toEqual(range(0, 80));
    expect(await db.revert('v', 13)).toMatchObject({ version: 14, off: [13] });
    expect(await xs(db)).toEqual(before);

    // add_column: refused while rows hold values in it, or a delete in effect reads it; then allowed.
    await db.addColumn('v', { name: 'y', type: 'int32' }); // 15
    await db.ingest('v', rows(100, 103, { y: 1 }), 'ndjson'); // 16
    await expect(db.revert('v', 15)).rejects.toMatchObject({ code: 'STRATA_ERR_REVERT_CONFLICT', message: expect.stringContaining('column y') });
    expect(await db.delete('v', 'y = 1')).toMatchObject({ version: 17, rows: 3 });
    await expect(db.revert('v', 15)).rejects.toMatchObject({ code: 'STRATA_ERR_REVERT_CONFLICT', message: expect.stringContaining('version 17') });
    expect(await db.revert('v', 17)).toMatchObject({ version: 18, rowsAdded: 3 });
    expect(await db.revert('v', 16)).toMatchObject({ version: 19, rowsRemoved: 3 });
    expect(await db.revert('v', 15)).toMatchObject({ version: 20 });
    expect((await db.snapshot('v')).schema.columns.map((c) => c.name)).toEqual(['k', 'ts', 'x']);
    expect(await xs(db)).toEqual(before);
    // Every refusal above wrote nothing.
    expect(await db.headVersion('v')).toBe(20);
    await db.close();
  }, 120_000);
}

describe('delete and revert', () => {
  lifecycleSuite('memory', async () => openStore('memory:'));
  lifecycleSuite('local', async () => openStore(path.join(mkdtempSync(path.join(tmpdir(), 'strata-revert-')), 'store')));
  lifecycleSuite('cassandra', async () => openStore(cassandraUrl('strata_revert')));

  it('a row two deletes took comes back only when neither is in effect', async () => {
    const db = await open('memory:');
    await db.ingest('v', rows(0, 10), 'ndjson'); // 1
    await db.delete('v', 'x < 5'); // 2 takes 0-4
    await db.revert('v', 2); // 3: 0-4 back
    await db.delete('v', 'x < 3'); // 4 takes 0-2
    await db.revert('v', 3); // 5: delete 2 back in effect, takes 3-4 again
    expect(await xs(db)).toEqual(range(5, 10));
    // Delete 4 goes: rows 0-2 stay gone, delete 2 took them too.
    expect(await db.revert('v', 4)).toMatchObject({ rowsAdded: 0 });
    expect(await xs(db)).toEqual(range(5, 10));
    // An append brought back keeps out the rows a delete in effect took.
    await db.revert('v', 1); // 7: all rows go
    expect(await xs(db)).toEqual([]);
    expect(await db.revert('v', 7)).toMatchObject({ rowsAdded: 5 });
    expect(await xs(db)).toEqual(range(5, 10));
    await db.close();
  });

  it('refuses what it cannot do, writing nothing', async () => {
    const db = await open('memory:');
    await db.ingest('v', rows(0, 10), 'ndjson', { writer: 'w', seq: 1 }); // 1
    await db.rollback('v', 0); // 2: seq 1 is new again
    await db.ingest('v', rows(0, 10), 'ndjson', { writer: 'w', seq: 1 }); // 3: sent again and stored
    // Bringing version 1 back would store the batch twice.
    await expect(db.revert('v', 2)).rejects.toMatchObject({ code: 'STRATA_ERR_REVERT_CONFLICT', message: expect.stringContaining('stored twice') });
    await expect(db.revert('v', 0)).rejects.toMatchObject({ code: 'STRATA_ERR_NOTHING_TO_REVERT' });
    await expect(db.revert('v', 9)).rejects.toMatchObject({ code: 'STRATA_ERR_VERSION_NOT_FOUND' });
    await expect(db.revert('v', -1)).rejects.toMatchObject({ code: 'STRATA_ERR_INVALID_ARGUMENT' });
    for (const where of ['nope = 1', 'x = 1 order by x', 'x = 1; select 1', 'x in (select 1)', '', "x = 'abc'", 'x +']) {
      await expect(db.delete('v', where), where).rejects.toMatchObject({ code: 'STRATA_ERR_INVALID_PREDICATE' });
    }
    expect(await db.headVersion('v')).toBe(3);
    // After a vacuum keeping no history, only versions after the horizon can be reverted.
    await db.vacuum('v', { retainMs: 0, graceMs: 0 });
    await expect(db.revert('v', 3)).rejects.toMatchObject({ code: 'STRATA_ERR_VERSION_VACUUMED' });
    await db.ingest('v', rows(10, 12), 'ndjson'); // 4
    expect(await db.revert('v', 4)).toMatchObject({ version: 5, rowsRemoved: 2 });
    expect(await xs(db)).toEqual(range(0, 10));
    await db.close();
  });
});
