/**
 * Vacuum on every backend: after a stream and its compaction, a vacuum that
 * keeps only the head deletes every segment and record no kept version
 * needs; the head answers as before, a fresh process opens it, writing goes
 * on, and time travel before the horizon is a clear error. A vacuum whose
 * retention covers everything deletes nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Strata, openStore, parseColumns } from '../../src/index.js';
import type { Store } from '../../src/index.js';
import { writeHorizonMarker } from '../../src/versions/horizon.js';
import { cassandraUrl } from '../helpers/cassandra.js';

function vacuumSuite(backend: string, open: () => Promise<Store>): void {
  it(`keeps what kept versions need and deletes the rest (${backend})`, async () => {
    const store = await open();
    const db = await Strata.open({ store, limits: { compactionIdleMs: 0, checkpointEveryVersions: 20 } });
    await db.createDataset('v', { columns: parseColumns('k:string,ts:timestamp,x:int32'), partitionKey: ['k'], sortKey: ['ts'] });
    const batch = (i: number): string => Array.from({ length: 5 }, (_, h) => `{"k":"h${h}","ts":${i},"x":${i}}`).join('\n');
    for (let i = 1; i <= 50; i++) await db.ingest('v', batch(i), 'ndjson', { writer: 'w', seq: i });
    const q = 'select k, count(*), sum(x) from v group by k order by k';
    const answer = (await db.sql(q)).rows;
    // Retention over everything: nothing goes.
    expect(await db.vacuum('v', { retainMs: 3_600_000, graceMs: 0 })).toMatchObject({ horizon: 1, segments: 0, versions: 0 });
    await db.compact('v');
    const head = await db.headVersion('v');
    const segmentsBefore = (await store.listObjects('v', 'segment')).length;
    const r = await db.vacuum('v', { retainMs: 0, graceMs: 0 });
    // Records 1..head go; the head lives on as its checkpoint.
    expect(r).toMatchObject({ horizon: head, versions: head });
    expect(r.segments).toBe(segmentsBefore - 1);
    expect((await store.listObjects('v', 'segment'))).toHaveLength(1);
    expect((await db.sql(q)).rows).toEqual(answer);
    expect((await db.versions('v')).map((x) => [x.version, x.kind])).toEqual([[0, 'create'], [head, 'compact']]);
    await expect(db.sql('select count(*) from v AT (VERSION => 10)')).rejects.toMatchObject({ code: 'STRATA_ERR_VERSION_VACUUMED', details: { horizon: head } });
    await expect(db.sql("select count(*) from v AT (TIMESTAMP => TIMESTAMP '2020-01-01')")).rejects.toMatchObject({ code: 'STRATA_ERR_VERSION_NOT_FOUND' });
    // A fresh process opens it from the checkpoint the vacuum left, and the writer goes on exactly once.
    const fresh = await Strata.open({ store, limits: { compactionIdleMs: 0 } });
    expect((await fresh.sql(q)).rows).toEqual(answer);
    expect(await fresh.ingest('v', batch(50), 'ndjson', { writer: 'w', seq: 50 })).toMatchObject({ duplicate: true });
    expect(await fresh.ingest('v', batch(51), 'ndjson', { writer: 'w', seq: 51 })).toMatchObject({ duplicate: false, version: head + 1 });
    expect((await fresh.sql('select count(*) from v')).rows).toEqual([[255]]);
    await db.close();
  }, 60_000);
}

describe('vacuum', () => {
  it('removes a marker a vacuum killed between finishing and cleaning up left behind, even when the horizon stays', async () => {
    const store = await openStore('memory:');
    const db = await Strata.open({ store, limits: { compactionIdleMs: 0 } });
    await db.createDataset('v', { columns: parseColumns('k:string,x:int32') });
    for (let i = 0; i < 3; i++) await db.ingest('v', `k,x\na,${i}\n`, 'csv');
    await db.vacuum('v', { retainMs: 0, graceMs: 0 });
    expect(await store.listObjects('v', 'horizon')).toHaveLength(1);
    // The state a kill leaves after the finished marker is written and before older ones are deleted.
    await writeHorizonMarker(store, 'v', { horizon: 1, from: 1 });
    expect(await store.listObjects('v', 'horizon')).toHaveLength(2);
    await db.vacuum('v', { retainMs: 0, graceMs: 0 });
    expect((await store.listObjects('v', 'horizon')).map((n) => parseInt(n, 16))).toEqual([3]);
    expect((await db.sql('select sum(x) from v')).rows).toEqual([[3]]);
    await db.close();
  });

  vacuumSuite('memory', async () => openStore('memory:'));
  vacuumSuite('local', async () => openStore(path.join(mkdtempSync(path.join(tmpdir(), 'strata-vacuum-')), 'store')));
  vacuumSuite('cassandra', async () => openStore(cassandraUrl('strata_vacuum')));
});
