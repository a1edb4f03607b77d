// Profiling aid: loads vega-datasets' flights-3m (as bench/flights.js does) and
// runs the query shapes whose names match argv[2] (a regular expression)
// repeatedly, printing each run's time and path.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { Strata, parseColumns } from '../dist/index.js';
import { flightQueries } from './flights.js';

const match = new RegExp(process.argv[2] ?? '.');
const parquet = fileURLToPath(new URL('../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'strata-profile-flights-'));
const duck = await DuckDBInstance.create(':memory:');
const con = await duck.connect();
const csv = path.join(dir, 'flights.csv');
await con.run(`COPY (SELECT * FROM read_parquet('${parquet}')) TO '${csv}' (HEADER)`);
const db = await Strata.open({ store: path.join(dir, 'store'), threads: 2 });
try {
  await db.createDataset('flights', { columns: parseColumns('date:timestamp,delay:int64,distance:int64,origin:string,destination:string'), partitionKey: ['origin'], sortKey: ['date'] });
  await db.ingest('flights', createReadStream(csv), 'csv');
  for (const [name, sql] of flightQueries.filter(([n]) => match.test(n))) {
    for (let i = 0; i < Number(process.env.STRATA_PROFILE_RUNS ?? 5); i++) {
      const t = performance.now();
      const r = await db.sql(sql);
      console.log(`${name}: ${(performance.now() - t).toFixed(1)} ms ${r.explain.path} scan ${r.explain.scanMs.toFixed(1)} ` + r.explain.scans.map((s) => `[read ${s.chunksRead}/${s.chunks} chunks ${s.readMs.toFixed(1)} ms, filter ${s.filterMs.toFixed(1)} ms, rows ${s.rowsSelected}]`).join(" "));
    }
  }
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
