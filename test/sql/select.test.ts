/**
 * Plain selections answered by the engine (no DuckDB run): the same rows as
 * DuckDB's (as multisets where no ORDER BY fixes the order), LIMIT kept,
 * resultRowsMax refused the same way, the shapes it must leave to DuckDB
 * left, and a value filter that keeps no row of a chunk costing only its
 * filter columns.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';

const t0 = Date.UTC(2026, 0, 1);
const sorted = (rows: unknown[][]): string[] => rows.map((r) => JSON.stringify(r)).sort();

describe('selections answered by the engine', () => {
  let db: Strata;

  beforeAll(async () => {
    db = await Strata.open({ store: path.join(mkdtempSync(path.join(tmpdir(), 'strata-select-')), 'store'), limits: { chunkCacheBytesMax: 1, resultRowsMax: 1000 } });
    await db.createDataset('m', { columns: parseColumns('host:string,ts:timestamp,n:int32,big:int64,f:float64,ok:bool,a:float64,b:float64,c:float64,d:float64,e:float64,g:float64'), partitionKey: ['host'], sortKey: ['ts'], chunkRows: 200 });
    const rows = [];
    for (let i = 0; i < 3000; i++) {
      rows.push({
        host: ['a', 'b', 'c'][i % 3], ts: t0 + i * 60_000, n: i % 11 === 0 ? null : i,
        big: String(2n ** 60n + BigInt(i)), f: i % 97 === 0 ? 'NaN' : (i % 500) / 5, ok: i % 2 === 0,
        a: i, b: -i, c: i / 3, d: i % 7, e: null, g: 1,
      });
    }
    await db.ingest('m', rows.map((r) => JSON.stringify(r)).join('\n'), 'ndjson');
    await db.compact('m');
  });
  afterAll(async () => { await db.close(); });

  const unordered = [
    "SELECT * FROM m WHERE f > 95 AND ts >= '2026-01-01 10:00:00'",
    "SELECT host, ts AS t, big FROM m WHERE host IN ('a', 'c') AND n BETWEEN 10 AND 400",
    'SELECT m.n, f, big FROM m WHERE ok = true AND n < 600 AND big > 1000',
    'SELECT ts, f FROM m WHERE f > 1000',
  ];
  for (const sql of unordered) {
    it(`answers ${sql} with DuckDB's rows`, async () => {
      const engine = await db.sql(sql);
      const duck = await db.sql(sql, { engine: false });
      expect(engine.explain.path).toBe('engine-select');
      expect(duck.explain.path).toBe('duckdb-scan');
      expect(engine.columns).toEqual(duck.columns);
      expect(sorted(engine.rows)).toEqual(sorted(duck.rows));
    });
  }

  it('keeps a bare LIMIT: that many rows, each one DuckDB would give', async () => {
    const all = new Set(sorted((await db.sql('SELECT host, n FROM m WHERE d = 3', { engine: false })).rows));
    const r = await db.sql('SELECT host, n FROM m WHERE d = 3 LIMIT 17');
    expect(r.explain.path).toBe('engine-select');
    expect(r.rows).toHaveLength(17);
    for (const row of sorted(r.rows)) expect(all.has(row)).toBe(true);
    expect((await db.sql('SELECT * FROM m LIMIT 0')).rows).toEqual([]);
  });

  it('orders the top rows as DuckDB does, NaN and NULL included', async () => {
    for (const sql of ['SELECT f, ts FROM m ORDER BY f DESC, ts LIMIT 40', 'SELECT n, ts FROM m ORDER BY n NULLS FIRST, ts DESC LIMIT 30', 'SELECT host, big FROM m WHERE f < 3 ORDER BY big DESC LIMIT 5']) {
      const engine = await db.sql(sql);
      expect(engine.explain.path, sql).toBe('engine-select');
      expect(engine.rows, sql).toEqual((await db.sql(sql, { engine: false })).rows);
    }
  });

  it('refuses more rows than resultRowsMax as DuckDB\'s path does', async () => {
    await expect(db.sql('SELECT * FROM m WHERE ts > \'2000-01-01\'')).rejects.toMatchObject({ code: 'STRATA_ERR_LIMIT_EXCEEDED' });
    await expect(db.sql('SELECT * FROM m WHERE ts > \'2000-01-01\'', { engine: false })).rejects.toMatchObject({ code: 'STRATA_ERR_LIMIT_EXCEEDED' });
  });

  it('leaves other shapes to DuckDB', async () => {
    for (const sql of ['SELECT n + 1 FROM m WHERE n < 5', 'SELECT DISTINCT host FROM m WHERE n < 50', 'SELECT * FROM m WHERE n < 50 ORDER BY ts', 'SELECT * FROM m LIMIT 3 OFFSET 2', 'SELECT * FROM m WHERE n % 2 = 0 LIMIT 3', 'SELECT * EXCLUDE (g) FROM m LIMIT 3']) {
      expect((await db.sql(sql)).explain.path, sql).toBe('duckdb-scan');
    }
  });

  it('reads only the filter columns of a chunk where a value filter keeps no row', async () => {
    const sql = "SELECT * FROM m WHERE a > 2990 AND ts >= '2026-01-01 01:00:00'";
    const r = await db.sql(sql);
    const s = r.explain.scans[0]!;
    expect(s.chunksDeferredSkipped).toBeGreaterThan(0);
    expect(s.chunksDeferredSkipped).toBeLessThan(s.chunksRead);
    expect(sorted(r.rows)).toEqual(sorted((await db.sql(sql, { engine: false, pushdown: false })).rows));
    expect(r.rows).toHaveLength(9);
  });
});
