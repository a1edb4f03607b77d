/** Binding dataset references in the SQL text: aliases, AT clauses, quoting, comments, CTEs, joins across versions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';

describe('dataset references', () => {
  let db: Strata;
  let t1: string;
  beforeAll(async () => {
    // Every partition in chunks of its own (no mixed chunks), so partition pruning can be seen;
    // no background compaction, so the chunk counts the explain tests expect stay put.
    db = await Strata.open({ store: 'memory:', limits: { mixedChunkPartitionRowsMax: 0, compactionIdleMs: 0 } });
    await db.createDataset('t', { columns: parseColumns('k:string,v:int64'), partitionKey: ['k'] });
    await db.ingest('t', 'k,v\na,1\nb,2\n', 'csv'); // version 1
    t1 = (await db.versions('t'))[1]!.time;
    await new Promise((r) => setTimeout(r, 5));
    await db.ingest('t', 'k,v\na,10\nc,30\n', 'csv'); // version 2
    await db.createDataset('u', { columns: parseColumns('k:string,label:string') });
    await db.ingest('u', 'k,label\na,Alpha\nc,Gamma\n', 'csv');
  });
  afterAll(() => db.close());

  const cases: [string, unknown[][]][] = [
    ['select sum(v) from t', [[43]]],
    ['select sum(v) from t AT (VERSION => 1)', [[3]]],
    ['select sum(x.v) from t x AT (VERSION => 1)', [[3]]],
    ['select sum(x.v) from t AS x AT (VERSION => 0 + 1)', [[3]]],
    ['select sum(v) from main.t AT (version => 2)', [[43]]],
    ['select sum(v) from "t" at (VERSION => 1)', [[3]]],
    ['select sum(v) from t /* comment */ AT /* c2 */ (VERSION => 1) -- trailing', [[3]]],
    ['select sum(v) from T', [[43]]],
    ['select count(*) from t AT (VERSION => 0)', [[0]]],
    ["select 'Ünïcödé ✓' as s, (select sum(v) from t AT (VERSION => 1)) as n", [['Ünïcödé ✓', 3]]],
    ['select a.v, b.v from t a AT (VERSION => 1) join t b on a.k = b.k and a.v <> b.v', [[1, 10]]],
    ['with t as (select 99 as v) select v from t', [[99]]],
    ['with s as (select * from t AT (VERSION => 1)) select count(*) from s', [[2]]],
    ['select t.k, u.label from t join u using (k) order by t.k, t.v', [['a', 'Alpha'], ['a', 'Alpha'], ['c', 'Gamma']]],
    ['select y.a, y.b from t y(a, b) where y.b < 5 order by 1', [['a', 1], ['b', 2]]],
    ['select count(*) from (select * from t where v > 1) s', [[3]]],
    ['select t from t AT (VERSION => 1) order by v', [[{ k: 'a', v: 1 }], [{ k: 'b', v: 2 }]]],
  ];
  for (const [sql, rows] of cases) {
    it(sql, async () => {
      expect((await db.sql(sql)).rows).toEqual(rows);
    });
  }

  it('travels by timestamp', async () => {
    const at = t1.replace('T', ' ').replace('Z', '');
    expect((await db.sql(`select sum(v) from t AT (TIMESTAMP => TIMESTAMP '${at}')`)).rows).toEqual([[3]]);
    expect((await db.sql(`select sum(v) from t AT (TIMESTAMP => now())`)).rows).toEqual([[43]]);
    await expect(db.sql("select * from t AT (TIMESTAMP => TIMESTAMP '2000-01-01')")).rejects.toMatchObject({ code: 'STRATA_ERR_VERSION_NOT_FOUND' });
  });

  it('names missing versions and tables clearly', async () => {
    await expect(db.sql('select * from t AT (VERSION => 7)')).rejects.toMatchObject({ code: 'STRATA_ERR_VERSION_NOT_FOUND' });
    await expect(db.sql('select * from nope')).rejects.toMatchObject({ code: 'STRATA_ERR_DATASET_NOT_FOUND', message: expect.stringMatching(/no dataset named nope \(datasets: t, u\)/) });
    await expect(db.sql('select * from nope AT (VERSION => 1)')).rejects.toMatchObject({ code: 'STRATA_ERR_DATASET_NOT_FOUND' });
    await expect(db.sql('selec 1')).rejects.toMatchObject({ code: 'STRATA_ERR_SQL_PARSE' });
  });

  it('stops a result at resultRowsMax', async () => {
    const small = await Strata.open({ store: 'memory:', limits: { resultRowsMax: 3 } });
    try {
      expect((await small.sql('select * from range(3)')).rows).toHaveLength(3);
      await expect(small.sql('select * from range(4)')).rejects.toMatchObject({ code: 'STRATA_ERR_LIMIT_EXCEEDED', details: { limit: 'resultRowsMax' } });
    } finally {
      await small.close();
    }
  });

  it('explains what the scan pruned and filtered', async () => {
    const r = await db.sql("select sum(v) from t where k = 'a' and v >= 5");
    expect(r.rows).toEqual([[10]]);
    const [scan] = r.explain.scans;
    expect(scan).toMatchObject({ dataset: 't', version: 2, predicates: ["k = 'a'", 'v >= 5'], chunks: 4, rowsSelected: 1 });
    expect(scan!.prunedByPartition).toBe(2);
    expect(scan!.prunedByStats).toBe(1);
    const off = await db.sql("select sum(v) from t where k = 'a' and v >= 5", { pushdown: false });
    expect(off.rows).toEqual([[10]]);
    expect(off.explain.scans[0]).toMatchObject({ predicates: [], chunksRead: 4, rowsSelected: 4 });
  });

  it('prunes mixed chunks (small partitions written together) by their column statistics', async () => {
    const mixed = await Strata.open({ store: 'memory:', limits: { compactionIdleMs: 0 } });
    await mixed.createDataset('t', { columns: parseColumns('k:string,v:int64'), partitionKey: ['k'] });
    await mixed.ingest('t', 'k,v\na,1\nb,2\n', 'csv');
    await mixed.ingest('t', 'k,v\nc,10\nd,30\n', 'csv');
    expect([...(await mixed.snapshot('t')).chunks.values()].map((c) => [c.mixed, c.rows])).toEqual([[true, 2], [true, 2]]);
    const r = await mixed.sql("select sum(v) from t where k = 'c'");
    expect(r.rows).toEqual([[10]]);
    expect(r.explain.scans[0]).toMatchObject({ chunks: 2, prunedByPartition: 0, prunedByStats: 1, chunksRead: 1 });
    await mixed.close();
  });
});
