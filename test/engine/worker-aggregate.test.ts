/**
 * Engine aggregates in the scan workers: each worker filters and aggregates
 * the chunks that hash to it and the main thread merges their partial
 * states. The answers must equal the main thread's own aggregation and
 * DuckDB's, for every aggregate kind (exact int64 sums beyond 2^53, NaN in
 * min/max, count(DISTINCT) of strings seen by both workers, arg_max, FILTER,
 * HAVING, time buckets, top-N, filter columns read first); a repeated query is answered from the
 * workers' caches; a damaged chunk fails the query and the pool goes on.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';
import { sameRows } from '../helpers/compare.js';

const t0 = Date.UTC(2026, 0, 1);
const hosts = Array.from({ length: 12 }, (_, i) => `h${i}`);

function rows(batch: number, n: number): string {
  const out: string[] = [];
  let x = 12345 + batch;
  const rand = (): number => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
  for (let i = 0; i < n; i++) {
    const r = rand();
    out.push(JSON.stringify({
      // Batch 3 is small partitions written together: mixed chunks.
      host: batch === 3 ? `m${i % 40}` : hosts[Math.floor(rand() * hosts.length)],
      ts: t0 + batch * 86_400_000 + i * 14_000 + (i % 13), // unique: arg_max has no ties to break
      v: r < 0.01 ? null : r < 0.012 ? 'NaN' : Math.round((rand() - 0.5) * 1e6) / 100,
      big: r < 0.05 ? null : String(2n ** 61n + BigInt(Math.floor(rand() * 1e6))),
      n: Math.floor(rand() * 1000) - 500,
      tag: ['x', 'y', 'z', 'ü', ''][Math.floor(rand() * 5)],
    }));
  }
  return out.join('\n');
}

describe('engine aggregates in the scan workers', () => {
  const dir = path.join(tmpdir(), `strata-worker-agg-${process.pid}`);
  let workers: Strata;
  let main: Strata;

  beforeAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
    const columns = parseColumns('host:string,ts:timestamp,v:float64,big:int64,n:int32,tag:string');
    workers = await Strata.open({ store: path.join(dir, 'workers'), limits: { chunkCacheBytesMax: 1, scanWorkers: 2, scanWorkerRowsMin: 0, compactionIdleMs: 0 } });
    main = await Strata.open({ store: path.join(dir, 'main'), limits: { chunkCacheBytesMax: 1, scanWorkers: 0, compactionIdleMs: 0 } });
    for (const db of [workers, main]) {
      await db.createDataset('m', { columns, partitionKey: ['host'], sortKey: ['ts'], chunkRows: 500 });
      for (let b = 0; b < 4; b++) await db.ingest('m', rows(b, b === 3 ? 400 : 6000), 'ndjson');
    }
  });
  afterAll(async () => { await workers.close(); await main.close(); await fs.rm(dir, { recursive: true, force: true }); });

  const queries = [
    'SELECT count(*), sum(v), min(v), max(v), avg(n), sum(big), min(big), max(big), count(big) FROM m',
    'SELECT host, count(*), sum(big), max(v), min(n) FROM m GROUP BY host ORDER BY host',
    'SELECT tag, count(DISTINCT host), count(DISTINCT n), count(DISTINCT big) FROM m GROUP BY tag ORDER BY tag',
    "SELECT host, arg_max(tag, ts), arg_min(v, ts), max_by(big, ts) FROM m WHERE host <> 'h3' GROUP BY host ORDER BY host",
    "SELECT date_trunc('hour', ts) AS h, count(*), avg(v), sum(n) FILTER (WHERE tag = 'x') FROM m GROUP BY h ORDER BY h",
    "SELECT time_bucket(INTERVAL '6 hours', ts) AS b, host, max(v), count(v) FROM m WHERE n > 0 GROUP BY ALL ORDER BY b, host",
    'SELECT host, sum(v) AS s FROM m GROUP BY host HAVING count(*) > 100 ORDER BY s DESC, host LIMIT 5',
    "SELECT count(*) FROM m WHERE ts >= TIMESTAMP '2026-01-02 06:00:00' AND ts < TIMESTAMP '2026-01-03 18:00:00'",
    "SELECT count(*), max(n) FROM m WHERE host IN ('h1', 'h5', 'm3') AND v > 0",
    // A value filter with many other columns: the worker filters by its column first, and the others
    // are fetched only for chunks where a row passes.
    "SELECT host, arg_max(tag, ts), arg_min(v, ts), max(big) FROM m WHERE n = 7 GROUP BY host ORDER BY host",
    // int64 keys beyond 2^53: the engine steps aside, DuckDB answers.
    'SELECT big, count(*) FROM m GROUP BY big ORDER BY 2 DESC, 1 LIMIT 3',
  ];

  it('answers as the main thread and DuckDB do, aggregating in the workers', async () => {
    let inWorkers = 0;
    let deferred = 0;
    for (const sql of queries) {
      const got = await workers.sql(sql);
      const own = await main.sql(sql);
      const duck = await workers.sql(sql, { engine: false });
      expect(sameRows(got.rows, own.rows), `${sql}\n${JSON.stringify(got.rows)}\n${JSON.stringify(own.rows)}`).toBe(true);
      expect(sameRows(got.rows, duck.rows), `${sql}\n${JSON.stringify(got.rows)}\n${JSON.stringify(duck.rows)}`).toBe(true);
      expect(got.explain.path, sql).toBe(own.explain.path);
      if (got.explain.path === 'engine-aggregate') {
        expect(got.explain.scans[0]!.workerTask, sql).toBe('aggregate');
        expect(got.explain.scans[0]!.chunksDeferredSkipped, sql).toBe(own.explain.scans[0]!.chunksDeferredSkipped);
        expect(got.explain.scans[0]!.rowsSelected, sql).toBe(own.explain.scans[0]!.rowsSelected);
        deferred += got.explain.scans[0]!.chunksDeferredSkipped;
        inWorkers++;
      }
    }
    expect(inWorkers).toBe(queries.length - 1);
    expect(deferred).toBeGreaterThan(0);
  });

  it('answers a repeated aggregate from the workers\' caches', async () => {
    const sql = 'SELECT host, sum(v), max(n) FROM m GROUP BY host ORDER BY host';
    const first = await workers.sql(sql);
    const before = workers.cacheStats().workers;
    const again = await workers.sql(sql);
    const after = workers.cacheStats().workers;
    expect(again.rows).toEqual(first.rows);
    // host, v and n of every chunk: all found, none decoded again.
    expect(after.misses).toBe(before.misses);
    expect(after.hits - before.hits).toBe(3 * again.explain.scans[0]!.chunksRead);
    expect(after.bytes).toBeGreaterThan(0);
  });

  it('fails a query on a damaged chunk with its code, and the workers go on', async () => {
    const db = await Strata.open({ store: path.join(dir, 'damaged'), limits: { chunkCacheBytesMax: 1, scanWorkerCacheBytesMax: 1, scanWorkers: 2, scanWorkerRowsMin: 0 } });
    try {
      await db.createDataset('t', { columns: parseColumns('k:string,v:float64'), partitionKey: ['k'] });
      await db.ingest('t', `k,v\n${Array.from({ length: 16_000 }, (_, i) => `k${i % 8},${i}`).join('\n')}\n`, 'csv');
      const refs = [...(await db.snapshot('t')).chunks.values()];
      expect(refs.length).toBe(8);
      expect((await db.sql('select k, sum(v) from t group by k order by k')).explain.scans[0]!.workerTask).toBe('aggregate');
      const hit = refs[3]!;
      const file = path.join(dir, 'damaged', 't', 'segments', hit.segment!);
      const bytes = await fs.readFile(file);
      bytes[hit.columns.v!.offset! + hit.columns.v!.bytes - 10]! ^= 0xff;
      await fs.writeFile(file, bytes);
      await expect(db.sql('select k, sum(v) from t group by k')).rejects.toMatchObject({ code: 'STRATA_ERR_CHUNK_CORRUPT', details: { column: 'v' } });
      expect((await db.sql('select count(*), count(k) from t')).rows).toEqual([[16_000, 16_000]]);
      expect(db.scanWorkersBusy()).toBe(0);
    } finally {
      await db.close();
    }
  });
});
