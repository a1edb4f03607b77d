// Real data: the 3 M flights of vega-datasets (an npm package; int64 delay
// and distance, a timestamp, two airport codes), loaded through Strata's own
// CSV ingest and into a DuckDB native table, then 20 query shapes run on both
// with every answer compared. Medians of the timed runs after a warm-up.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { Strata, parseColumns } from '../dist/index.js';
import { compareRows } from './tsbs/compare.js';

const parquet = fileURLToPath(new URL('../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url));

export const flightQueries = [
  ['filtered count, int64 ranges', "select count(*) from flights where delay > 120 and distance between 500 and 1500"],
  ['filtered count, time', "select count(*) from flights where date >= '2001-06-01'"],
  ['count, negative int64', 'select count(*) from flights where delay < 0'],
  ['avg over a filter', 'select avg(delay) from flights where distance > 2000'],
  ['one partition: sum/min/max', "select sum(distance), min(distance), max(distance) from flights where origin = 'ATL'"],
  ['two keys equal', "select count(*) from flights where origin = 'LAX' and destination = 'SFO'"],
  ['group by origin, top 10', 'select origin, count(*), avg(delay) from flights group by origin order by 2 desc, 1 limit 10'],
  ['group by destination, max', 'select destination, max(delay) from flights group by 1 order by 2 desc, 1 limit 5'],
  ['two keys, top 10', 'select origin, destination, count(*) from flights group by 1, 2 order by 3 desc, 1, 2 limit 10'],
  ['daily series', "select date_trunc('day', date) as d, count(*), avg(delay) from flights group by 1 order by 1"],
  ['hourly max, one origin', "select date_trunc('hour', date) as h, max(delay) from flights where origin = 'SFO' group by 1 order by 2 desc, 1 limit 5"],
  ['monthly by three origins', "select date_trunc('month', date) as m, origin, count(*) from flights where origin in ('ATL', 'ORD', 'DFW') group by all order by all"],
  ['count distinct', 'select count(distinct origin), count(distinct destination) from flights'],
  ['distinct list', "select distinct destination from flights where origin = 'JFK' order by 1"],
  ['filtered aggregate', 'select origin, count(*) filter (where delay > 60) as late from flights group by 1 order by 2 desc, 1 limit 5'],
  ['having', 'select origin, avg(delay) as a from flights group by 1 having count(*) > 10000 order by 2 desc, 1'],
  ['top-N rows', 'select * from flights order by delay desc, date, origin, destination, distance limit 10'],
  ['window rank', "select origin, delay, r from (select origin, delay, rank() over (partition by origin order by delay desc) as r from flights where origin in ('LAX', 'SFO')) where r <= 3 order by origin, r, delay"],
  ['join with a subquery', 'select f.origin, count(*) from flights f join (select origin from flights group by origin having count(*) > 50000) big on f.origin = big.origin group by 1 order by 1'],
  ['expression key', 'select distance // 500 * 500 as band, count(*), avg(delay) from flights group by 1 order by 1'],
];

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const ordered = (sql) => /order by/i.test(sql);

export async function benchFlights({ runs = 5, threads = 2, log = () => {} } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-bench-flights-'));
  let db; let duck; let con;
  try {
    duck = await DuckDBInstance.create(path.join(dir, 'flights.duckdb'), { threads: String(threads) });
    con = await duck.connect();
    const csv = path.join(dir, 'flights.csv');
    await con.run(`COPY (SELECT * FROM read_parquet('${parquet}')) TO '${csv}' (HEADER)`);
    let t = performance.now();
    await con.run(`CREATE TABLE flights AS SELECT * FROM read_csv('${csv}', header = true, columns = {'date': 'TIMESTAMP', 'delay': 'BIGINT', 'distance': 'BIGINT', 'origin': 'VARCHAR', 'destination': 'VARCHAR'})`);
    await con.run('CHECKPOINT');
    const duckLoadMs = performance.now() - t;
    db = await Strata.open({ store: path.join(dir, 'store'), threads });
    await db.createDataset('flights', { columns: parseColumns('date:timestamp,delay:int64,distance:int64,origin:string,destination:string'), partitionKey: ['origin'], sortKey: ['date'] });
    t = performance.now();
    const ingested = await db.ingest('flights', createReadStream(csv), 'csv');
    const strataLoadMs = performance.now() - t;
    log(`flights: loaded ${ingested.rows} rows`);
    const queries = [];
    for (const [name, sql] of flightQueries) {
      const times = { strata: [], duckdb: [] };
      let strataRows; let duckRows; let path0 = '';
      for (let r = 0; r <= runs; r++) {
        let s = performance.now();
        const got = await db.sql(sql);
        const sMs = performance.now() - s;
        s = performance.now();
        const want = (await con.runAndReadAll(sql)).getRowsJson();
        const dMs = performance.now() - s;
        if (r > 0) { times.strata.push(sMs); times.duckdb.push(dMs); }
        strataRows = got.rows; duckRows = want; path0 = got.explain.path;
      }
      const mismatch = compareRows(strataRows, duckRows, { ordered: ordered(sql) });
      const strataMs = median(times.strata); const duckdbMs = median(times.duckdb);
      queries.push({ name, sql, path: path0, strataMs, duckdbMs, ratio: strataMs / duckdbMs, rows: strataRows.length, mismatch });
      log(`flights: ${name} ${strataMs.toFixed(1)} ms vs ${duckdbMs.toFixed(1)} ms${mismatch ? ` MISMATCH ${mismatch}` : ''}`);
    }
    const geomean = Math.exp(queries.reduce((a, q) => a + Math.log(q.ratio), 0) / queries.length);
    return { rows: ingested.rows, strataLoadMs, duckLoadMs, runs, queries, geomean, mismatches: queries.filter((q) => q.mismatch).length };
  } finally {
    await db?.close();
    con?.closeSync?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function flightsMarkdown(f) {
  const ms = (n) => n.toFixed(1);
  return [
    `## Real data: flights-3m (vega-datasets), ${f.rows.toLocaleString('en-US')} rows`,
    '',
    `Loaded through Strata's CSV ingest in ${(f.strataLoadMs / 1000).toFixed(1)} s (DuckDB read_csv into a native table: ${(f.duckLoadMs / 1000).toFixed(1)} s). Median of ${f.runs} runs after a warm-up, in one process, answers compared.`,
    '',
    '| query | path | Strata (ms) | DuckDB (ms) | Strata / DuckDB | answers |',
    '|---|---|---:|---:|---:|---|',
    ...f.queries.map((q) => `| ${q.name} | ${q.path} | ${ms(q.strataMs)} | ${ms(q.duckdbMs)} | ${q.ratio.toFixed(2)}x | ${q.mismatch ? `DIFFER: ${q.mismatch}` : 'equal'} |`),
    '',
    `Geometric mean Strata / DuckDB: **${f.geomean.toFixed(2)}x** over ${f.queries.length} query shapes; ${f.mismatches} answers differ.`,
    '',
  ];
}
