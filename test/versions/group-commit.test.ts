/** Group commit: concurrent appends share versions, and every batch keeps its own exactly-once identity. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';

const batch = (writer: string, seq: number, v = seq): string => `w,s,v\n${writer},${seq},${v}\n${writer},${seq},${v + 1000}\n`;

describe('group commit', () => {
  let db: Strata;
  beforeEach(async () => {
    db = await Strata.open({ store: 'memory:' });
    await db.createDataset('t', { columns: parseColumns('w:string,s:int32,v:int32'), partitionKey: ['w'] });
  });
  afterEach(() => db.close());

  it('coalesces concurrent batches from many writers into fewer versions, each batch exactly once', async () => {
    const writers = Array.from({ length: 10 }, (_, i) => `writer-${i}`);
    const sends = writers.flatMap((w) => [1, 2, 3, 4, 5].map((seq) => db.ingest('t', batch(w, seq), 'csv', { writer: w, seq })));
    const results = await Promise.all(sends);
    expect(results.every((r) => !r.duplicate && r.rows === 2)).toBe(true);
    const versions = (await db.versions('t')).slice(1);
    expect(versions.length).toBeLessThan(50); // grouped
    const pairs = versions.flatMap((v) => v.appends.map((a) => `${a.writer}:${a.seq}`));
    expect(pairs.sort()).toEqual(writers.flatMap((w) => [1, 2, 3, 4, 5].map((s) => `${w}:${s}`)).sort());
    for (const r of results) expect(versions.find((v) => v.version === r.version)).toBeDefined();
    expect((await db.sql('select count(*), count(distinct (w, s)) from t')).rows).toEqual([[100, 50]]);
    const head = await db.snapshot('t');
    expect([...head.writers.values()].every((p) => p.seq === 5)).toBe(true);
    // A retry of any of them is a duplicate that names the version holding it.
    const again = await db.ingest('t', batch('writer-3', 2), 'csv', { writer: 'writer-3', seq: 2 });
    expect(again).toMatchObject({ duplicate: true, version: results[3 * 5 + 1]!.version });
  });

  it('inside one group, a simultaneous retry is a duplicate of the same version and a conflicting one is refused alone', async () => {
    await db.ingest('t', batch('x', 1), 'csv', { writer: 'x', seq: 1 });
    const [a, b, c, d] = await Promise.allSettled([
      db.ingest('t', batch('y', 7), 'csv', { writer: 'y', seq: 7 }),
      db.ingest('t', batch('y', 7), 'csv', { writer: 'y', seq: 7 }),
      db.ingest('t', batch('z', 3), 'csv', { writer: 'z', seq: 3 }),
      db.ingest('t', batch('z', 3, 99), 'csv', { writer: 'z', seq: 3 }),
    ]);
    expect(a).toMatchObject({ status: 'fulfilled', value: { duplicate: false } });
    expect(b).toMatchObject({ status: 'fulfilled', value: { duplicate: true, version: (a as PromiseFulfilledResult<{ version: number }>).value.version } });
    expect(c).toMatchObject({ status: 'fulfilled', value: { duplicate: false } });
    expect(d).toMatchObject({ status: 'rejected', reason: { code: 'STRATA_ERR_SEQ_CONFLICT' } });
    expect((await db.sql('select count(*) from t')).rows).toEqual([[6]]);
  });
});
