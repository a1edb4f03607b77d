/**
 * Answers through Strata (chunks -> strata_scan -> DuckDB) must equal DuckDB's
 * own answers over the same rows: weather.csv read by DuckDB itself, and a
 * generated table with NULLs, negatives, int64 beyond 2^53, booleans and
 * chunk/vector boundaries in awkward places.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';
import { weatherCsvPath } from '../../src/demo/sample-data.js';
import { sameRows } from '../helpers/compare.js';
import { referenceDuckDB, referenceRows } from '../helpers/reference.js';

const weatherSchema = 'location:string,date:timestamp,precipitation:float64,temp_max:float64,temp_min:float64,wind:float64,weather:string';
const weatherTypes = "{'location':'VARCHAR','date':'TIMESTAMP','precipitation':'DOUBLE','temp_max':'DOUBLE','temp_min':'DOUBLE','wind':'DOUBLE','weather':'VARCHAR'}";

const weatherQueries = [
  'select count(*) from T',
  'select location, max(temp_max) from T group by 1 order by 1',
  'select location, min(temp_min), avg(wind), sum(precipitation) from T group by all order by 1',
  "select weather, count(*) as n from T where location = 'Seattle' group by 1 order by n desc, weather",
  'select * from T order by location, date limit 20',
  "select date_trunc('month', date) as m, location, max(temp_max), min(temp_min) from T group by all order by m, location",
  'select location, date, precipitation from T order by precipitation desc, date, location limit 5',
  "select count(*) from T where date between timestamp '2013-03-01' and timestamp '2013-03-31 23:59:59'",
  'select year(date) y, count(distinct weather) from T group by 1 order by 1',
  'select a.location, count(*) from T a join T b on a.date = b.date and a.location <> b.location group by 1 order by 1',
];

describe('weather.csv: Strata equals DuckDB reading the CSV', () => {
  let db: Strata;
  let ref: Awaited<ReturnType<typeof referenceDuckDB>>;
  const csv = weatherCsvPath();

  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:' });
    await db.createDataset('weather', { columns: parseColumns(weatherSchema), partitionKey: ['location'], sortKey: ['date'], chunkRows: 1000 });
    await db.ingest('weather', (await import('node:fs')).createReadStream(csv), 'csv');
    ref = await referenceDuckDB();
    await ref.con.run(`create table weather as select * from read_csv('${csv}', header=true, types=${weatherTypes})`);
  });
  afterAll(async () => { await db.close(); ref.close(); });

  for (const q of weatherQueries) {
    it(q, async () => {
      const ours = await db.sql(q.replace(/\bT\b/g, 'weather'));
      const theirs = await referenceRows(ref.con, q.replace(/\bT\b/g, 'weather'));
      expect(sameRows(ours.rows, theirs), `${JSON.stringify(ours.rows)}\n!=\n${JSON.stringify(theirs)}`).toBe(true);
    });
  }
});

/** A small seeded generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

describe('generated rows with NULLs and odd boundaries: Strata equals DuckDB', () => {
  let db: Strata;
  let ref: Awaited<ReturnType<typeof referenceDuckDB>>;
  const rows = 9000;

  beforeAll(async () => {
    const rand = rng(42);
    const hosts = ['a', 'b', 'c', 'é-ü', ''];
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) {
      const maybe = <T>(v: T): T | null => (rand() < 0.1 ? null : v);
      lines.push(JSON.stringify({
        host: maybe(hosts[Math.floor(rand() * hosts.length)]),
        ts: 1_600_000_000_000 + Math.floor(rand() * 1e9),
        i32: maybe(Math.floor((rand() - 0.5) * 2 ** 31)),
        i64: maybe(String(BigInt(Math.floor((rand() - 0.5) * 2 ** 51)) * 4099n)),
        f: maybe(rand() < 0.01 ? -0 : (rand() - 0.5) * 1e6),
        ok: maybe(rand() < 0.5),
        s: maybe(`v${Math.floor(rand() * 50)}`),
      }));
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'strata-diff-'));
    const file = path.join(dir, 'rows.ndjson');
    writeFileSync(file, lines.join('\n'));
    db = await Strata.open({ store: path.join(dir, 'store') });
    await db.createDataset('t', { columns: parseColumns('host:string,ts:timestamp,i32:int32,i64:int64,f:float64,ok:bool,s:string'), partitionKey: ['host'], sortKey: ['ts'], chunkRows: 3001 });
    // Three batches, so partitions hold several chunks of uneven sizes.
    for (const part of [lines.slice(0, 1000), lines.slice(1000, 7000), lines.slice(7000)]) await db.ingest('t', part.join('\n'), 'ndjson');
    ref = await referenceDuckDB();
    await ref.con.run(`create table t as select * from read_json('${file}', format='newline_delimited', columns={'host':'VARCHAR','ts':'BIGINT','i32':'INTEGER','i64':'BIGINT','f':'DOUBLE','ok':'BOOLEAN','s':'VARCHAR'})`);
    await ref.con.run('create or replace table t as select host, epoch_ms(ts) as ts, i32, i64, f, ok, s from t');
  });
  afterAll(async () => { await db.close(); ref.close(); });

  const queries = [
    'select count(*), count(host), count(i32), count(i64), count(f), count(ok), count(s) from t',
    'select host, count(*), sum(i32), sum(i64), min(i64), max(i64), avg(f), min(f), max(f) from t group by host order by host nulls first',
    'select ok, count(*), bool_and(ok), count(distinct s) from t group by ok order by ok nulls last',
    'select * from t order by ts, host, i32, i64, f limit 50',
    'select s, host, count(*) from t where i32 > 0 and f < 0 group by all order by all',
    "select count(*) from t where host = 'é-ü' and ts >= timestamp '2020-09-14'",
    'select i64 from t where i64 is not null order by i64 limit 5',
    'select host, ts, row_number() over (partition by host order by ts) as n from t qualify n <= 2 order by host, ts',
    'select sum(hash(host, ts, i32, i64, f, ok, s)) from t',
    // Integer bands: DuckDB's // truncates toward zero, negatives included; int64 beyond 2^52 goes to DuckDB.
    'select i32 // 100000007 * 100000007 as band, count(*), sum(i64), avg(f) from t group by 1 order by 1 nulls first',
    'select host, i32 // 1000000007 as q, count(*) from t group by all order by all nulls first',
    'select i64 // 1000000 * 1000000 as band, count(*) from t group by 1 order by 1 nulls first',
  ];
  it('answers integer bands in the engine', async () => {
    for (const q of ['select i32 // 100000007 * 100000007 as band, count(*) from t group by 1', 'select i32 // 3, count(*) from t group by 1']) {
      expect((await db.sql(q)).explain.path, q).toBe('engine-aggregate');
    }
  });
  for (const q of queries) {
    it(q, async () => {
      const ours = (await db.sql(q)).rows;
      const theirs = await referenceRows(ref.con, q);
      expect(sameRows(ours, theirs), `${JSON.stringify(ours)}\n!=\n${JSON.stringify(theirs)}`).toBe(true);
    });
  }
});
