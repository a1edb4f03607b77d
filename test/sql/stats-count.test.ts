/**
 * count(*) answered from chunk statistics: a chunk every row of which
 * passes the WHERE (by its min, max and null count) is counted, not read.
 * Counts must equal DuckDB's over every row, on every type's predicates,
 * with NULLs, int64 beyond 2^53 and strings; and statistics must really
 * answer the covering cases.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';

const t0 = Date.UTC(2026, 0, 1);

describe('count(*) from chunk statistics', () => {
  let db: Strata;

  beforeAll(async () => {
    db = await Strata.open({ store: path.join(mkdtempSync(path.join(tmpdir(), 'strata-stats-')), 'store'), limits: { chunkCacheBytesMax: 1 } });
    await db.createDataset('m', { columns: parseColumns('host:string,ts:timestamp,n:int32,big:int64,f:float64,ok:bool'), partitionKey: ['host'], sortKey: ['ts'], chunkRows: 100 });
    const rows = [];
    for (let i = 0; i < 3000; i++) {
      rows.push({
        host: ['a', 'b', 'c'][i % 3], ts: t0 + i * 60_000, n: i % 11 === 0 ? null : i,
        big: String(2n ** 60n + BigInt(i)), f: i % 97 === 0 ? 'NaN' : i / 2, ok: i % 2 === 0,
      });
    }
    await db.ingest('m', rows.map((r) => JSON.stringify(r)).join('\n'), 'ndjson');
    await db.compact('m');
  });
  afterAll(async () => { await db.close(); });

  const queries: [string, boolean][] = [
    ["SELECT count(*) FROM m WHERE ts >= '2026-01-01 12:00:00'", true],
    ["SELECT count(*) FROM m WHERE ts BETWEEN '2026-01-01 10:00:00' AND '2026-01-02 10:00:00' AND host = 'b'", true],
    ['SELECT count(*) FROM m WHERE big > 1152921504606846976', false],
    ['SELECT count(*) FROM m WHERE big >= 1000', true],
    ['SELECT count(*) FROM m WHERE n > 100', false],
    ['SELECT count(*) FROM m WHERE n IS NOT NULL', false],
    ["SELECT count(*) FROM m WHERE host IN ('a', 'c') AND ts < '2026-01-02 20:00:00'", true],
    ['SELECT count(*) FROM m WHERE f < 1000', false],
    ['SELECT count(*) FROM m WHERE ok = true', false],
    ["SELECT count(*) FROM m WHERE host <> 'zz'", true],
  ];

  it('counts as DuckDB does, reading only chunks the statistics cannot answer', async () => {
    for (const [sql, fromStats] of queries) {
      const got = await db.sql(sql);
      const want = await db.sql(sql, { engine: false, pushdown: false });
      expect(got.rows, sql).toEqual(want.rows);
      const s = got.explain.scans[0]!;
      if (fromStats) expect(s.countedFromStats, sql).toBeGreaterThan(0);
      // Every chunk is pruned, counted from statistics, or read (an int64 constant beyond 2^53 is not pushed at all).
      if (got.explain.path === 'engine-aggregate') expect(s.countedFromStats + s.chunksRead + s.prunedByPartition + s.prunedByStats, sql).toBe(s.chunks);
    }
  });
});
