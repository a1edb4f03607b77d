/**
 * arg_min/arg_max (and max_by/min_by) in the engine: the value at the row
 * with the least or greatest deciding number, with DuckDB's rules (rows with
 * a NULL value or decider skipped, NaN above every number), for every value
 * type and double, int64 and timestamp deciders; equal to DuckDB's answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';

describe('arg_min and arg_max in the engine', () => {
  let db: Strata;
  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:' });
    await db.createDataset('m', { columns: parseColumns('k:string,t:timestamp,v:float64,s:string,b:int64,n:int32,ok:bool'), partitionKey: ['k'], chunkRows: 7 });
    const rows = [];
    for (let i = 0; i < 60; i++) {
      rows.push({
        k: ['a', 'b', 'c'][i % 3], t: Date.UTC(2026, 0, 1) + ((i * 7919) % 60) * 60_000,
        v: i === 10 || i === 41 ? 'NaN' : i % 9 === 0 ? null : ((i * 37) % 61) - 30 + i / 100,
        s: i % 5 === 0 ? null : `s${i}`, b: i % 7 === 0 ? null : String(2n ** 60n + BigInt((i * 13) % 61)), n: i % 4 === 0 ? null : i, ok: i % 2 === 0,
      });
    }
    await db.ingest('m', rows.map((r) => JSON.stringify(r)).join('\n'), 'ndjson');
  });
  afterAll(() => db.close());

  const queries = [
    'SELECT k, arg_max(s, v), arg_min(s, v), arg_max(t, b), arg_min(n, t), max_by(ok, v), min_by(b, b) FROM m GROUP BY k ORDER BY k',
    'SELECT arg_max(k, t), arg_min(v, n), arg_max(b, t) FILTER (WHERE n > 20) FROM m',
    // One NaN per group (not its first row): it wins arg_max and never arg_min.
    'SELECT k, arg_max(n, v), arg_min(n, v) FROM m GROUP BY k ORDER BY k',
    "SELECT k, arg_max(n, t) FROM m WHERE v > 0 GROUP BY k ORDER BY k",
  ];
  for (const sql of queries) {
    it(sql, async () => {
      const engine = await db.sql(sql);
      expect(engine.explain.path).toBe('engine-aggregate');
      const duck = await db.sql(sql, { engine: false });
      expect(engine.columns).toEqual(duck.columns);
      expect(engine.rows).toEqual(duck.rows);
    });
  }

  it('leaves arg_max in HAVING to DuckDB', async () => {
    const sql = "SELECT k FROM m GROUP BY k HAVING arg_max(n, t) > 10 ORDER BY k";
    const r = await db.sql(sql);
    expect(r.explain.path).toBe('duckdb-scan');
    expect(r.rows).toEqual((await db.sql(sql, { engine: false })).rows);
  });
});
