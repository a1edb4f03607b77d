/**
 * Tags on every backend: a tag names a version for queries
 * (`AT (VERSION => 'name')`), shows in `versions`, and keeps its version
 * through vacuums until it is removed; refusals are clear and write nothing.
 * Then vacuum cut short at every step (the store fails its Nth delete or
 * write): every kept version still answers as before, and the next vacuum
 * finishes the work.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Strata, openStore, parseColumns } from '../../src/index.js';
import type { Store } from '../../src/index.js';
import { cassandraUrl } from '../helpers/cassandra.js';

const q = 'select k, count(*), sum(x) from v group by k order by k';
const batch = (i: number): string => Array.from({ length: 4 }, (_, h) => `{"k":"h${h}","ts":${i},"x":${i}}`).join('\n');

async function stream(store: Store, versions: number): Promise<Strata> {
  const db = await Strata.open({ store, limits: { compactionIdleMs: 0, checkpointEveryVersions: 8 } });
  await db.createDataset('v', { columns: parseColumns('k:string,ts:timestamp,x:int32'), partitionKey: ['k'], sortKey: ['ts'] });
  for (let i = 1; i <= versions; i++) await db.ingest('v', batch(i), 'ndjson', { writer: 'w', seq: i });
  return db;
}

const at = (db: Strata, v: number | string): Promise<unknown> => db.sql(`${q.replace('from v', `from v AT (VERSION => ${typeof v === 'number' ? v : `'${v}'`})`)}`).then((r) => r.rows);

function tagSuite(backend: string, open: () => Promise<Store>): void {
  it(`names versions, keeps them through vacuums until untagged (${backend})`, async () => {
    const store = await open();
    const db = await stream(store, 20);
    const five = await at(db, 5);
    expect(await db.tag('v', 'before-fix', 5)).toMatchObject({ name: 'before-fix', version: 5 });
    expect(await db.tag('v', 'also.five', 5)).toMatchObject({ version: 5 });
    expect(await db.tag('v', 'head')).toMatchObject({ version: 20 });
    // Again on the same version: the same tag; on another: refused, nothing changed.
    expect(await db.tag('v', 'before-fix', 5)).toMatchObject({ version: 5 });
    await expect(db.tag('v', 'before-fix', 6)).rejects.toMatchObject({ code: 'STRATA_ERR_TAG_EXISTS', details: { version: 5 } });
    await expect(db.tag('v', 'bad name')).rejects.toMatchObject({ code: 'STRATA_ERR_INVALID_NAME' });
    await expect(db.tag('v', 'x', 99)).rejects.toMatchObject({ code: 'STRATA_ERR_VERSION_NOT_FOUND' });
    await expect(db.tag('nope', 'x')).rejects.toMatchObject({ code: 'STRATA_ERR_DATASET_NOT_FOUND' });
    expect((await db.tags('v')).map((t) => [t.name, t.version])).toEqual([['also.five', 5], ['before-fix', 5], ['head', 20]]);
    expect((await db.versions('v')).filter((x) => x.tags.length > 0).map((x) => [x.version, x.tags])).toEqual([[5, ['also.five', 'before-fix']], [20, ['head']]]);
    expect(await at(db, 'before-fix')).toEqual(five);
    await expect(at(db, 'after-fix')).rejects.toMatchObject({ code: 'STRATA_ERR_TAG_NOT_FOUND', message: expect.stringContaining('also.five, before-fix, head') });

    await db.compact('v');
    const head = await db.headVersion('v');
    const headAnswer = (await db.sql(q)).rows;
    const r = await db.vacuum('v', { retainMs: 0, graceMs: 0 });
    expect(r.horizon).toBe(head);
    expect(await at(db, 'before-fix')).toEqual(five);
    expect(await at(db, 5)).toEqual(five);
    expect(await at(db, 'head')).toEqual(headAnswer);
    await expect(at(db, 6)).rejects.toMatchObject({ code: 'STRATA_ERR_VERSION_VACUUMED', details: { horizon: head, kept: [5, 20] } });
    expect((await db.versions('v')).map((x) => x.version)).toEqual([0, 5, 20, head]);
    // A version already vacuumed cannot be tagged; nothing is written.
    await expect(db.tag('v', 'late', 7)).rejects.toMatchObject({ code: 'STRATA_ERR_VERSION_VACUUMED' });
    expect((await db.tags('v')).map((t) => t.name)).toEqual(['also.five', 'before-fix', 'head']);

    // Another process sees the tags and the kept versions.
    const fresh = await Strata.open({ store, limits: { compactionIdleMs: 0 } });
    expect(await at(fresh, 'before-fix')).toEqual(five);

    // One tag left on 5 keeps it; none left, the next vacuum removes it and what only it read.
    expect(await db.untag('v', 'before-fix')).toMatchObject({ version: 5 });
    await expect(db.untag('v', 'before-fix')).rejects.toMatchObject({ code: 'STRATA_ERR_TAG_NOT_FOUND' });
    await db.vacuum('v', { retainMs: 0, graceMs: 0 });
    expect(await at(db, 5)).toEqual(five);
    await db.untag('v', 'also.five');
    // Version 20, tagged, still reads the segments of all 20 appends.
    expect(await store.listObjects('v', 'segment')).toHaveLength(21);
    expect((await db.vacuum('v', { retainMs: 0, graceMs: 0 })).checkpoints).toBe(1);
    await expect(at(db, 5)).rejects.toMatchObject({ code: 'STRATA_ERR_VERSION_VACUUMED' });
    expect((await db.versions('v')).map((x) => x.version)).toEqual([0, 20, head]);
    await db.untag('v', 'head');
    expect((await db.vacuum('v', { retainMs: 0, graceMs: 0 })).checkpoints).toBe(1);
    expect(await store.listObjects('v', 'segment')).toHaveLength(1);
    expect((await db.sql(q)).rows).toEqual(headAnswer);
    expect((await db.versions('v')).map((x) => x.version)).toEqual([0, head]);
    await fresh.close();
    await db.close();
  }, 120_000);
}

/** A store whose Nth delete or object write (counting from the wrapper's creation) fails as a crash would. */
function failingAt(inner: Store, n: number): { store: Store; calls: () => number } {
  let calls = 0;
  const fail = (): void => { if (++calls === n) throw new Error(`cut short at step ${n}`); };
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (prop === 'deleteObjects' || prop === 'deleteVersions' || prop === 'putObject') {
        return async (...args: unknown[]) => { fail(); return (v as (...a: unknown[]) => Promise<unknown>).apply(target, args); };
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return { store, calls: () => calls };
}

describe('tags', () => {
  tagSuite('memory', async () => openStore('memory:'));
  tagSuite('local', async () => openStore(path.join(mkdtempSync(path.join(tmpdir(), 'strata-tags-')), 'store')));
  tagSuite('cassandra', async () => openStore(cassandraUrl('strata_tags')));

  it('a vacuum cut short at any step loses nothing a kept version reads, and the next one finishes', async () => {
    // How many store mutations one vacuum makes here: each is a place to cut it short.
    const probe = await openStore('memory:');
    const probeDb = await stream(probe, 12);
    await probeDb.tag('v', 'keep', 4);
    await probeDb.compact('v');
    const counted = failingAt(probe, 0);
    await (await Strata.open({ store: counted.store, limits: { compactionIdleMs: 0 } })).vacuum('v', { retainMs: 0, graceMs: 0 });
    const steps = counted.calls();
    expect(steps).toBeGreaterThan(4);

    for (let n = 1; n <= steps; n++) {
      const inner = await openStore('memory:');
      const db = await stream(inner, 12);
      await db.tag('v', 'keep', 4);
      const four = await at(db, 4);
      await db.compact('v');
      const head = await db.headVersion('v');
      const headAnswer = (await db.sql(q)).rows;
      const cut = failingAt(inner, n);
      const crashed = await Strata.open({ store: cut.store, limits: { compactionIdleMs: 0 } });
      await expect(crashed.vacuum('v', { retainMs: 0, graceMs: 0 }), `step ${n}`).rejects.toThrow(`cut short at step ${n}`);
      // A new process after the cut: every kept version answers as before.
      const after = await Strata.open({ store: inner, limits: { compactionIdleMs: 0 } });
      expect(await at(after, 'keep'), `step ${n}: tagged`).toEqual(four);
      expect((await after.sql(q)).rows, `step ${n}: head`).toEqual(headAnswer);
      await after.vacuum('v', { retainMs: 0, graceMs: 0 });
      expect(await at(after, 'keep'), `step ${n}: tagged, finished`).toEqual(four);
      expect((await after.sql(q)).rows, `step ${n}: head, finished`).toEqual(headAnswer);
      await expect(at(after, 6), `step ${n}`).rejects.toMatchObject({ code: 'STRATA_ERR_VERSION_VACUUMED' });
      // Finished: only the horizon's and the tag's checkpoints, one marker, no record between 0 and the horizon.
      expect((await inner.listObjects('v', 'checkpoint')).map(Number), `step ${n}`).toEqual([4, head]);
      expect(await inner.listObjects('v', 'horizon'), `step ${n}`).toHaveLength(1);
      for (let v = 1; v <= head; v++) expect(await inner.getVersion('v', v), `step ${n}: record ${v}`).toBeUndefined();
      await after.close();
      await crashed.close();
      await db.close();
    }
    await probeDb.close();
  }, 120_000);
});
