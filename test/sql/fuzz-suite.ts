/**
 * Differential fuzzing of the query path: seeded random queries (filters of
 * every pushable shape and some that are not, groupings, time buckets,
 * NULLs, NaN, infinities, -0, int64 beyond 2^53, astral-plane strings, empty
 * partitions, several versions) run four ways:
 *   engine aggregation + pushdown == pushdown only == neither == DuckDB's native table.
 * A mismatch prints the seed and the query to reproduce it.
 * STRATA_TEST_SEED picks the seed; STRATA_FUZZ_QUERIES the count. It runs
 * once with the native kernels (fuzz.test.ts) and once with the TypeScript
 * ones (fuzz-typescript.test.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';
import { kernelStatus } from '../../src/kernels/index.js';
import { sameRows } from '../helpers/compare.js';
import { referenceDuckDB, referenceRows } from '../helpers/reference.js';

const seed = Number(process.env.STRATA_TEST_SEED ?? 20261126);
const queryCount = Number(process.env.STRATA_FUZZ_QUERIES ?? 520);

function rng(s: number): () => number {
  let x = s >>> 0;
  return () => { x = (x + 0x6d2b79f5) >>> 0; let t = x; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

const hosts = ['a', 'b', 'c', 'é-ü', '𝔘nicode', 'z', ''];
const words = ['rain', 'sun', 'fog', 'Snow', 'ünï', '𝔘', '', 'rain '];
const t0 = Date.UTC(2026, 0, 1);
const versions = 3;

interface Row { host: string | null; ts: number; i32: number | null; i64: string | null; f: number | string | null; ok: boolean | null; s: string | null }

function makeRows(rand: () => number, n: number, batch: number): Row[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const maybe = <T>(v: T, p = 0.08): T | null => (rand() < p ? null : v);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const special = rand();
    rows.push({
      // Batch 2 has no rows for host 'z': a partition empty at some versions.
      host: maybe(batch === 1 ? pick(hosts.filter((h) => h !== 'z')) : pick(hosts)),
      ts: t0 + batch * 86_400_000 + Math.floor(rand() * 86_400_000),
      i32: maybe(Math.floor((rand() - 0.5) * 2000)),
      i64: maybe(rand() < 0.1 ? String(2n ** 60n + BigInt(Math.floor(rand() * 1000))) : String(Math.floor((rand() - 0.5) * 1e6))),
      f: maybe(special < 0.02 ? 'NaN' : special < 0.03 ? 'Infinity' : special < 0.04 ? '-Infinity' : special < 0.06 ? -0 : Math.round((rand() - 0.5) * 2000) / 8),
      ok: maybe(rand() < 0.5),
      s: maybe(pick(words)),
    });
  }
  return rows;
}

function genQuery(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;
  const tsLit = (): string => {
    const d = new Date(t0 + Math.floor(rand() * 4 * 86_400_000));
    const text = d.toISOString().replace('T', ' ').slice(0, rand() < 0.3 ? 10 : 19);
    return pick([`TIMESTAMP ${q(text)}`, q(text), `DATE ${q(text.slice(0, 10))}`]);
  };
  const num = (): string => pick([String(int(-1000, 1000)), `${int(-1000, 1000)}.5`, '0', '-0.0', String(int(-200, 200) / 8)]);
  const cmp = (): string => pick(['=', '<>', '<', '<=', '>', '>=']);
  const conj = (): string => {
    switch (int(0, 14)) {
      case 13: return `i64 ${cmp()} ${pick([`${int(-500000, 500000)}.5`, '-0.0', String(int(-3, 3)), '1152921504606846976.0'])}`;
      case 14: return pick([`i64 BETWEEN ${int(-500000, 0)} AND ${int(0, 500000)}`, `i64 BETWEEN ${int(-500000, 0)}.5 AND 1152921504606847000`, `i64 IN (${int(-3, 3)}, 1152921504606846977, ${int(-500000, 500000)})`]);
      case 0: return `host ${cmp()} ${q(pick(hosts))}`;
      case 1: return `host IN (${[pick(hosts), pick(hosts)].map(q).join(', ')})`;
      case 2: return `host IS ${pick(['', 'NOT '])}NULL`;
      case 3: return `ts ${cmp()} ${tsLit()}`;
      case 4: return `ts BETWEEN ${tsLit()} AND ${tsLit()}`;
      case 5: return `i32 ${cmp()} ${num()}`;
      case 6: return `i32 BETWEEN ${int(-1000, 0)} AND ${int(0, 1000)}`;
      case 7: return `i64 ${cmp()} ${pick([String(int(-500000, 500000)), '1152921504606846976', '0'])}`;
      case 8: return `f ${cmp()} ${num()}`;
      case 9: return `ok ${pick(['= true', '= false', 'IS NULL', 'IS NOT NULL'])}`;
      case 10: return `s ${cmp()} ${q(pick(words))}`;
      case 11: return `s IN (${[pick(words), pick(words)].map(q).join(', ')})`;
      default: return `(i32 > ${int(-500, 500)} OR s = ${q(pick(words))})`;
    }
  };
  const where = int(0, 3) === 0 ? '' : `WHERE ${Array.from({ length: int(1, 3) }, conj).join(' AND ')}`;
  const v = int(0, versions);
  const from = v === versions && rand() < 0.5 ? 't' : `t AT (VERSION => ${v})`;
  const unit = pick(['minute', 'hour', 'day', 'week', 'month', 'year']);
  const width = pick(['90 minutes', '6 hours', '1 day', '2 days', '1 week']);
  switch (int(0, 19)) {
    case 19: return pick([
      `SELECT host, arg_max(s, ts), arg_min(i64, ts), max_by(f, ts), arg_min(ok, ts), arg_max(i32, ts) AS a FROM ${from} ${where} GROUP BY host ORDER BY host NULLS FIRST`,
      `SELECT arg_max(host, ts), min_by(ts, ts), arg_min(f, ts) FILTER (WHERE ${conj()}) FROM ${from} ${where}`,
    ]);
    case 18: return `SELECT * FROM ${from} ${where} ORDER BY f ${pick(['DESC', 'ASC', 'DESC NULLS FIRST'])}, ts DESC, host, i32, i64, s, ok LIMIT ${int(0, 40)}`;
    case 17: return `SELECT host, ts, f AS x, i64 FROM ${from} ${where} ORDER BY ${pick(['x DESC NULLS FIRST, ts, host, i64', 'i64, 3, 2 DESC, 1', 'ALL'])} LIMIT ${int(1, 30)}`;
    case 16: return `SELECT i32, s, ok FROM ${from} ${where} ORDER BY ${pick(['1 DESC, 2 NULLS FIRST, 3', 's, i32 DESC, ok NULLS FIRST', 'ok, i32, s'])} LIMIT ${int(1, 60)}`;
    case 15: return `SELECT s, count(*) AS n, avg(i32) FROM ${from} ${where} GROUP BY s HAVING ${pick(['count(*) > 300', 'count(*) >= 2 AND max(i64) < 1000000', 'avg(i32) > 0.5', 'sum(f) < 0', 'min(ts) <= 5 OR count(*) > 1', 'count(DISTINCT host) = 6', 'max(f) > 100', '300 < count(*)'])} ORDER BY s NULLS FIRST`;
    case 14: return `SELECT host, count(*) FILTER (WHERE ${conj()}), sum(i64) FILTER (WHERE ${conj()}), max(f) FILTER (WHERE ${conj()} AND ${conj()}), count(s) FILTER (WHERE ${conj()}) FROM ${from} ${where} GROUP BY host ORDER BY host NULLS FIRST`;
    case 12: return `SELECT date_trunc('${unit}', ts) AS h, count(*), max(i32), sum(i64) FROM ${from} ${where} GROUP BY 1 ORDER BY 1 ${pick(['DESC', 'ASC', ''])} LIMIT ${int(1, 6)}`;
    case 13: return `SELECT time_bucket(INTERVAL '${width}', ts) AS b, host, min(f) FROM ${from} ${where} GROUP BY ALL ORDER BY b DESC, host NULLS FIRST LIMIT ${int(1, 9)}`;
    case 10: return `SELECT date_trunc('${unit}', ts) AS h, host, count(*), avg(f), max(i64) FROM ${from} ${where} GROUP BY h, host ORDER BY h, host NULLS FIRST`;
    case 11: return `SELECT date_trunc('${unit}', ts) AS ts, count(*) FROM ${from} ${where} GROUP BY ts ORDER BY 2, 1 LIMIT 7`;
    case 8: return `SELECT i64, count(*), sum(i32), max(f) FROM ${from} ${where} GROUP BY i64 ORDER BY 2 DESC, 1 LIMIT ${int(1, 8)}`;
    case 9: return `SELECT ok, sum(i64), avg(i64), max(i64), min(i64), count(i64) FROM ${from} ${where} GROUP BY ok ORDER BY ok`;
    case 0: return `SELECT count(*), count(f), count(DISTINCT host) FROM ${from} ${where}`;
    case 1: return `SELECT host, count(*), sum(i32), min(f), max(f), sum(i64), min(i64) FROM ${from} ${where} GROUP BY host ORDER BY host NULLS FIRST`;
    case 2: return `SELECT date_trunc('${unit}', ts) AS h, count(*), avg(f), max(i32) FROM ${from} ${where} GROUP BY 1 ORDER BY 1`;
    case 6: return `SELECT host, ok, count(*), min(ts), max(ts), avg(i32), sum(i32), count(s), min(f) FROM ${from} ${where} GROUP BY host, ok ORDER BY host, ok DESC NULLS FIRST`;
    case 7: return `SELECT count(*) AS n, sum(f), max(f), min(i32) FROM ${from} ${where}`;
    case 3: return `SELECT * FROM ${from} ${where} ORDER BY ts, host, i32, i64, f, s, ok LIMIT 25`;
    case 4: return `SELECT ok, count(DISTINCT s), min(s), max(s) FROM ${from} ${where} GROUP BY ok ORDER BY ok NULLS FIRST`;
    default: return `SELECT time_bucket(INTERVAL '${width}', ts) AS b, host, sum(f) FROM ${from} ${where} GROUP BY ALL ORDER BY ALL`;
  }
}

describe(`query fuzzing (seed ${seed}, ${queryCount} queries, ${kernelStatus().active} kernels)`, () => {
  let db: Strata;
  let ref: Awaited<ReturnType<typeof referenceDuckDB>>;

  beforeAll(async () => {
    const rand = rng(seed);
    const dir = mkdtempSync(path.join(tmpdir(), 'strata-fuzz-'));
    // No decoded-chunk cache and workers for any scan: every query decodes again, in the worker threads;
    // engine aggregates run in the workers, whose small caches keep some columns of some chunks (hits, misses, both).
    db = await Strata.open({ store: path.join(dir, 'store'), limits: { chunkCacheBytesMax: 1, scanWorkerRowsMin: 0, scanWorkers: 2, scanWorkerCacheBytesMax: 128 * 1024 } });
    await db.createDataset('t', { columns: parseColumns('host:string,ts:timestamp,i32:int32,i64:int64,f:float64,ok:bool,s:string'), partitionKey: ['host'], sortKey: ['ts'], chunkRows: 700 });
    ref = await referenceDuckDB();
    await ref.con.run('CREATE TABLE t_v0 (host VARCHAR, ts TIMESTAMP, i32 INTEGER, i64 BIGINT, f DOUBLE, ok BOOLEAN, s VARCHAR)');
    for (let v = 1; v <= versions; v++) {
      const rows = makeRows(rand, [3000, 1500, 4000][v - 1]!, v);
      const file = path.join(dir, `batch${v}.ndjson`);
      writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
      await db.ingest('t', (await import('node:fs')).createReadStream(file), 'ndjson');
      await ref.con.run(`CREATE TABLE t_v${v} AS SELECT * FROM t_v${v - 1} UNION ALL SELECT host, make_timestamp(ts * 1000) AS ts, i32, i64, f, ok, s FROM read_json('${file}', format='newline_delimited', columns={'host':'VARCHAR','ts':'BIGINT','i32':'INTEGER','i64':'BIGINT','f':'DOUBLE','ok':'BOOLEAN','s':'VARCHAR'})`);
    }
  });
  afterAll(async () => { await db.close(); ref.close(); });

  it('answers every query as DuckDB does, with and without pushdown', async () => {
    const rand = rng(seed ^ 0x5eed);
    let pushed = 0;
    let pruned = 0;
    let engine = 0;
    let selected = 0;
    let workers = 0;
    let workerAggregates = 0;
    for (let i = 0; i < queryCount; i++) {
      const sql = genQuery(rand);
      const refSql = sql.replace(/\bt AT \(VERSION => (\d)\)/, 't_v$1').replace(/\bFROM t\b(?! AT)/, `FROM t_v${versions}`);
      const repro = `query ${i} (seed ${seed}): ${sql}`;
      let expected: unknown[][];
      try {
        expected = await referenceRows(ref.con, refSql);
      } catch (e) {
        // DuckDB refuses the query itself (a type error in a generated comparison): Strata must refuse it too.
        await expect(db.sql(sql), repro).rejects.toThrow();
        continue;
      }
      const withPushdown = await db.sql(sql);
      const pushOnly = await db.sql(sql, { engine: false });
      const without = await db.sql(sql, { pushdown: false, engine: false });
      if (!sameRows(withPushdown.rows, expected) || !sameRows(pushOnly.rows, expected) || !sameRows(without.rows, expected)) {
        throw new Error(`${repro}\nreference:  ${JSON.stringify(expected)}\n${withPushdown.explain.path}: ${JSON.stringify(withPushdown.rows)}\npushdown only: ${JSON.stringify(pushOnly.rows)}\nneither: ${JSON.stringify(without.rows)}`);
      }
      if (withPushdown.explain.path === 'engine-aggregate') engine++;
      if (withPushdown.explain.path === 'engine-aggregate' && withPushdown.explain.scans.some((s) => s.workers > 0)) workerAggregates++;
      if (withPushdown.explain.path === 'engine-select') selected++;
      expect(withPushdown.explain.kernels, repro).toMatch(process.env.STRATA_KERNELS === 'typescript' ? /^typescript/ : /^native/);
      expect(withPushdown.columns, repro).toEqual(without.columns);
      for (const s of withPushdown.explain.scans) {
        if (s.workers > 0) workers++;
        if (s.predicates.length > 0) pushed++;
        pruned += s.prunedByPartition + s.prunedByStats;
      }
    }
    // The run means something only if pushdown really happened.
    expect(pushed).toBeGreaterThan(queryCount / 3);
    expect(pruned).toBeGreaterThan(0);
    expect(engine, 'queries aggregated by the engine').toBeGreaterThan(queryCount / 5);
    expect(selected, 'selections answered by the engine').toBeGreaterThan(queryCount / 20);
    expect(workers, 'scans decoded by worker threads').toBeGreaterThan(queryCount / 2);
    expect(workerAggregates, 'engine aggregates filtered and aggregated in worker threads').toBeGreaterThan(queryCount / 5);
  }, 300_000);
});
