/**
 * Top-N by time bucket (`GROUP BY <bucket> ORDER BY <bucket> DESC LIMIT n`)
 * aggregates only the newest buckets when statistics show they hold enough
 * groups, and falls back to the whole scan when gaps leave too few: the
 * answers must equal DuckDB's either way, and the narrow path must really
 * read fewer rows.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';
import { sameRows } from '../helpers/compare.js';
import { referenceDuckDB, referenceRows } from '../helpers/reference.js';

const t0 = Date.UTC(2026, 0, 1);
const minute = 60_000;

describe('top-N by time bucket', () => {
  let db: Strata;
  let ref: Awaited<ReturnType<typeof referenceDuckDB>>;
  let total = 0;

  beforeAll(async () => {
    db = await Strata.open({ store: path.join(mkdtempSync(path.join(tmpdir(), 'strata-topn-')), 'store'), limits: { chunkCacheBytesMax: 1 } });
    await db.createDataset('m', { columns: parseColumns('host:string,ts:timestamp,v:float64'), partitionKey: ['host'], sortKey: ['ts'], chunkRows: 500 });
    ref = await referenceDuckDB();
    await ref.con.run('CREATE TABLE m (host VARCHAR, ts TIMESTAMP, v DOUBLE)');
    const rows: { host: string; ts: number | null; v: number }[] = [];
    // Three hours of minutes for two hosts, then two lone rows days later (gaps), and NULL times.
    for (let i = 0; i < 180; i++) for (const host of ['a', 'b']) rows.push({ host, ts: t0 + i * minute + (host === 'a' ? 5_000 : 7_000), v: (i * 7) % 13 });
    rows.push({ host: 'a', ts: t0 + 3 * 86_400_000, v: 100 }, { host: 'b', ts: t0 + 5 * 86_400_000 + 30_000, v: -1 }, { host: 'a', ts: null, v: 5 });
    total = rows.length;
    await db.ingest('m', rows.map((r) => JSON.stringify(r)).join('\n'), 'ndjson');
    await db.compact('m');
    await ref.con.run(`INSERT INTO m SELECT * FROM (VALUES ${rows.map((r) => `('${r.host}', ${r.ts === null ? 'NULL' : `make_timestamp(${r.ts * 1000})`}, ${r.v})`).join(', ')})`);
  });
  afterAll(async () => { await db.close(); ref.close(); });

  const cases: [string, 'narrow' | 'full'][] = [
    // The lone rows are the two newest minutes, with nothing near them: too few groups near the edge.
    ["SELECT date_trunc('minute', ts) AS mi, count(*), max(v) FROM m GROUP BY mi ORDER BY mi DESC LIMIT 5", 'full'],
    // Bounded by the WHERE to the dense hours: the newest 5 minutes are near the bound.
    ["SELECT date_trunc('minute', ts) AS mi, count(*), max(v) FROM m WHERE ts < '2026-01-01 02:00:00' GROUP BY mi ORDER BY mi DESC LIMIT 5", 'narrow'],
    ["SELECT date_trunc('minute', ts) AS mi, host, sum(v) FROM m WHERE ts < '2026-01-01 02:00:00' GROUP BY ALL ORDER BY mi DESC, host LIMIT 3", 'narrow'],
    ["SELECT date_trunc('minute', ts) AS mi, min(v) FROM m GROUP BY 1 ORDER BY 1 LIMIT 4", 'narrow'],
    ["SELECT time_bucket(INTERVAL '2 minutes', ts) AS b, count(*) FROM m WHERE ts >= '2026-01-01 01:00:00' GROUP BY b ORDER BY b ASC LIMIT 2", 'narrow'],
    ["SELECT date_trunc('hour', ts) AS h, count(*) FROM m GROUP BY h ORDER BY h DESC NULLS FIRST LIMIT 2", 'full'],
  ];

  it('answers as DuckDB does, reading only the newest buckets when that is enough', async () => {
    for (const [sql, path] of cases) {
      const got = await db.sql(sql);
      const want = await referenceRows(ref.con, sql);
      expect(sameRows(got.rows, want), `${sql}\n${JSON.stringify(got.rows)}\n${JSON.stringify(want)}`).toBe(true);
      expect(got.explain.path, sql).toBe('engine-aggregate');
      const selected = got.explain.scans[0]!.rowsSelected;
      if (path === 'narrow') expect(selected, sql).toBeLessThan(total / 4);
      else expect(selected, sql).toBeGreaterThan(total / 4);
    }
  });
});
