/**
 * What an append writes goes into the decoded-chunk cache as it is: the
 * next queries over those chunks read nothing from the store, and their
 * answers equal those of a process that reads and decodes the same chunks
 * (every column type, NULLs, NaN, -0, strings with a dictionary per chunk).
 * Compaction's chunks are not cached.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';

describe('the chunk cache after an append', () => {
  const store = path.join(mkdtempSync(path.join(tmpdir(), 'strata-write-cache-')), 'store');
  let writer: Strata;
  let reader: Strata;

  beforeAll(async () => {
    writer = await Strata.open({ store, limits: { scanWorkers: 0, compactionIdleMs: 0 } });
    await writer.createDataset('t', { columns: parseColumns('k:string,ts:timestamp,f:float64,i:int32,b:int64,ok:bool,s:string'), partitionKey: ['k'], sortKey: ['ts'], chunkRows: 300 });
    const rows = Array.from({ length: 2000 }, (_, n) => ({
      k: `k${n % 7}`, ts: Date.UTC(2026, 0, 1) + n * 1000, f: n % 50 === 0 ? 'NaN' : n % 40 === 0 ? -0 : n % 9 === 0 ? null : n / 8,
      i: n % 11 === 0 ? null : n - 1000, b: String(2n ** 60n + BigInt(n)), ok: n % 13 === 0 ? null : n % 2 === 0, s: n % 6 === 0 ? null : `s${n % 17}`,
    }));
    await writer.ingest('t', rows.map((r) => JSON.stringify(r)).join('\n'), 'ndjson');
    reader = await Strata.open({ store, limits: { scanWorkers: 0, chunkCacheBytesMax: 1 } });
  });
  afterAll(async () => { await writer.close(); await reader.close(); });

  const queries = [
    'SELECT * FROM t ORDER BY ts LIMIT 2000',
    'SELECT k, count(*), count(DISTINCT s), sum(f), min(i), max(b), count(ok) FILTER (WHERE ok) FROM t GROUP BY k ORDER BY k',
    "SELECT s, count(*) FROM t WHERE s IS NOT NULL AND f > 10 GROUP BY s ORDER BY s",
    'SELECT k, max(f), min(f) FROM t GROUP BY ALL ORDER BY ALL',
  ];

  it('answers from the cache, reading nothing, as a reader of the store does', async () => {
    for (const sql of queries) {
      const before = writer.cacheStats();
      const cached = await writer.sql(sql);
      const after = writer.cacheStats();
      expect(after.misses, sql).toBe(before.misses);
      expect(after.hits, sql).toBeGreaterThan(before.hits);
      const read = await reader.sql(sql);
      expect(cached.rows, sql).toEqual(read.rows);
    }
    expect(reader.cacheStats().misses).toBeGreaterThan(0);
  });

  it('does not cache what compaction writes', async () => {
    await writer.ingest('t', JSON.stringify({ k: 'k1', ts: Date.UTC(2026, 0, 2), f: 1, i: 1, b: '1', ok: true, s: 'x' }), 'ndjson');
    await writer.compact('t');
    const before = writer.cacheStats();
    await writer.sql("SELECT count(*), sum(f) FROM t WHERE k = 'k1'");
    expect(writer.cacheStats().misses).toBeGreaterThan(before.misses);
  });
});
