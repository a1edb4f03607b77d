/**
 * The last-point query (DISTINCT ON the partition key, newest first, or
 * QUALIFY row_number()/rank()/dense_rank() over the partition key = 1, or
 * (key, t) IN (SELECT key, max(t) ... GROUP BY key)) is
 * answered from the rows at each partition's greatest time only: the
 * answers must equal DuckDB's over all rows, with ties, NULL times, several
 * chunks per partition, mixed chunks, versions, and WHERE clauses pushed
 * whole or in part; and the scan must really hand DuckDB fewer rows.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';
import { sameRows } from '../helpers/compare.js';
import { referenceDuckDB, referenceRows } from '../helpers/reference.js';

const hosts = ['a', 'b', 'c', 'd', 'e'];
const t0 = Date.UTC(2026, 0, 1);

describe('last point per partition', () => {
  let db: Strata;
  let ref: Awaited<ReturnType<typeof referenceDuckDB>>;
  const rows: { host: string; ts: number | null; v: number; n: number | null }[] = [];

  beforeAll(async () => {
    // No background compaction: the test's mixed chunk must stay mixed between the queries it compares.
    db = await Strata.open({ store: path.join(mkdtempSync(path.join(tmpdir(), 'strata-last-')), 'store'), limits: { chunkCacheBytesMax: 1, compactionIdleMs: 0 } });
    await db.createDataset('m', { columns: parseColumns('host:string,ts:timestamp,v:float64,n:int32'), partitionKey: ['host'], sortKey: ['ts'], chunkRows: 50 });
    ref = await referenceDuckDB();
    await ref.con.run('CREATE TABLE m (host VARCHAR, ts TIMESTAMP, v DOUBLE, n INTEGER)');
    let x = 7;
    const rand = (): number => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
    for (let batch = 0; batch < 6; batch++) {
      const part: typeof rows = [];
      for (let i = 0; i < 120; i++) {
        const host = hosts[Math.floor(rand() * (batch === 5 ? 2 : hosts.length))]!;
        // Host 'e' has only NULL times; times repeat (ties) within and across batches.
        const ts = host === 'e' ? null : t0 + Math.floor(rand() * 40) * 60_000;
        part.push({ host, ts, v: Math.round(rand() * 1000) / 10, n: rand() < 0.1 ? null : Math.floor(rand() * 100) });
      }
      rows.push(...part);
      // Small batches become mixed chunks until compaction; big ones get a chunk per host.
      await db.ingest('m', part.map((r) => JSON.stringify(r)).join('\n'), 'ndjson');
      // Compaction gives each host its own chunks; the last batch stays in a mixed chunk.
      if (batch === 4) await db.compact('m');
      for (const r of part) await ref.con.run(`INSERT INTO m VALUES ('${r.host}', ${r.ts === null ? 'NULL' : `make_timestamp(${r.ts * 1000})`}, ${r.v}, ${r.n ?? 'NULL'})`);
      if (batch === 2) await ref.con.run('CREATE TABLE m_v3 AS SELECT * FROM m');
    }
  });
  afterAll(async () => { await db.close(); ref.close(); });

  // Ties at the greatest value make DISTINCT ON's pick among them arbitrary: only determined columns are selected.
  const queries = [
    'SELECT DISTINCT ON (host) host, ts FROM m ORDER BY host, ts DESC',
    'SELECT DISTINCT ON (host) host, ts, max(ts) OVER () AS newest FROM m ORDER BY host, ts DESC',
    'SELECT DISTINCT ON (host) host, ts FROM m WHERE n > 50 ORDER BY host, ts DESC',
    "SELECT DISTINCT ON (host) host, ts FROM m WHERE n > 50 AND (v < 30 OR host = 'a') ORDER BY host, ts DESC",
    'SELECT DISTINCT ON (host) host, ts FROM m ORDER BY host DESC, ts DESC LIMIT 2',
    'SELECT DISTINCT ON (host) host, n FROM m ORDER BY host, n DESC',
    'SELECT DISTINCT ON (host) host, ts FROM m AT (VERSION => 3) ORDER BY host, ts DESC',
    'SELECT host, ts FROM m QUALIFY row_number() OVER (PARTITION BY host ORDER BY ts DESC) = 1 ORDER BY host',
    'SELECT host, ts, v FROM m WHERE n > 50 QUALIFY rank() OVER (PARTITION BY host ORDER BY ts DESC, v) <= 1 ORDER BY host, v',
    'SELECT * FROM m QUALIFY 1 = dense_rank() OVER (PARTITION BY host ORDER BY ts DESC) ORDER BY host, ts, v, n',
    'SELECT host, ts FROM m WHERE (host, ts) IN (SELECT host, max(ts) FROM m GROUP BY host) ORDER BY host, ts',
    'SELECT * FROM m WHERE (ts, host) IN (SELECT max(ts), host FROM m GROUP BY host) ORDER BY host, ts, v, n',
    // Not last points (min, a filtered subquery): whole scans, answers still equal.
    'SELECT host, ts FROM m WHERE (host, ts) IN (SELECT host, min(ts) FROM m GROUP BY host) ORDER BY host, ts',
    'SELECT host, ts FROM m WHERE (host, ts) IN (SELECT host, max(ts) FROM m WHERE n > 50 GROUP BY host) ORDER BY host, ts',
    // Not a last point (oldest first): the whole scan goes to DuckDB, answers still equal.
    'SELECT host, ts FROM m QUALIFY row_number() OVER (PARTITION BY host ORDER BY ts) = 1 ORDER BY host',
  ];

  it('answers as DuckDB does over every row', async () => {
    for (const sql of queries) {
      const got = await db.sql(sql);
      const refSql = sql.replace('m AT (VERSION => 3)', 'm_v3');
      const want = await referenceRows(ref.con, refSql);
      expect(sameRows(got.rows, want), `${sql}\n${JSON.stringify(got.rows)}\n${JSON.stringify(want)}`).toBe(true);
    }
  });

  it('hands DuckDB only the candidate rows', async () => {
    const all = await db.sql('SELECT DISTINCT ON (host) host, ts FROM m ORDER BY host, ts DESC', { engine: false });
    const last = await db.sql('SELECT DISTINCT ON (host) host, ts FROM m ORDER BY host, ts DESC');
    expect(all.rows).toEqual(last.rows);
    const selected = (r: typeof all): number => r.explain.scans.reduce((n, s) => n + s.rowsSelected, 0);
    const selected1 = (s: (typeof all)['explain']['scans'][number]): number => s.rowsSelected;
    expect(selected(all)).toBe(rows.length);
    // Host e (NULL times) keeps its rows; mixed chunks stay whole; every other partition keeps its ties at the newest time only.
    expect(selected(last)).toBeLessThan(rows.length / 2);
    const inSql = 'SELECT host, ts FROM m WHERE (host, ts) IN (SELECT host, max(ts) FROM m GROUP BY host) ORDER BY host, ts';
    const narrowed = await db.sql(inSql);
    expect(narrowed.rows).toEqual((await db.sql(inSql, { engine: false })).rows);
    expect(narrowed.explain.scans.map(selected1)).toEqual([selected(last), selected(last)]);
    const qualified = await db.sql('SELECT host, ts FROM m QUALIFY row_number() OVER (PARTITION BY host ORDER BY ts DESC) = 1 ORDER BY host');
    expect(qualified.rows).toEqual(last.rows);
    expect(selected(qualified)).toBe(selected(last));
    // Not pushed whole: every row goes to DuckDB.
    const partial = await db.sql("SELECT DISTINCT ON (host) host, ts FROM m WHERE n > 50 AND (v < 30 OR host = 'a') ORDER BY host, ts DESC");
    expect(partial.explain.scans[0]!.rowsSelected).toBe(rows.filter((r) => r.n !== null && r.n > 50).length);
  });
});
