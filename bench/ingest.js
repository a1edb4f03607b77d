// Ingest throughput and size: weather.csv repeated `copies` times with dates
// shifted by 4 years per copy, loaded through the real ingest path into an
// empty local store; beside it, DuckDB loading the same CSV into a native
// table and the same rows as Parquet (zstd), measured in the same run.
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Strata, parseColumns } from '../dist/index.js';
import { weatherCsvPath } from '../dist/demo/sample-data.js';
import { duBytes } from './disk.js';

const schema = 'location:string,date:timestamp,precipitation:float64,temp_max:float64,temp_min:float64,wind:float64,weather:string';


const dayMs = 86_400_000;

/** Copy k of the weather rows: every date moved k * 1461 days (four years) later. */
function shiftedCopy(lines, k) {
  return lines.map((line) => {
    const i = line.indexOf(',');
    const date = new Date(Date.parse(`${line.slice(i + 1, i + 11)}T00:00:00Z`) + k * 1461 * dayMs).toISOString().slice(0, 10);
    return `${line.slice(0, i + 1)}${date}${line.slice(i + 11)}`;
  }).join('\n');
}

async function writeRepeated(file, copies) {
  const [header, ...lines] = readFileSync(weatherCsvPath(), 'utf8').trim().split('\n');
  const out = createWriteStream(file);
  out.write(`${header}\n`);
  for (let k = 0; k < copies; k++) {
    if (!out.write(`${shiftedCopy(lines, k)}\n`)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  return lines.length * copies;
}

export async function benchIngest({ copies = 1000, cassandra = null } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-bench-ingest-'));
  try {
    const csv = path.join(dir, 'weather-x.csv');
    const rows = await writeRepeated(csv, copies);
    const csvBytes = statSync(csv).size;

    // Strata: one batch of all rows.
    const storeDir = path.join(dir, 'store');
    const db = await Strata.open({ store: storeDir });
    await db.createDataset('weather', { columns: parseColumns(schema), partitionKey: ['location'], sortKey: ['date'] });
    let t = performance.now();
    const r = await db.ingest('weather', createReadStream(csv), 'csv', { writer: 'bench', seq: 1 });
    const strataMs = performance.now() - t;
    const check = (await db.sql('select count(*) as n from weather')).rows[0][0];
    await db.close();
    if (r.rows !== rows || check !== rows) throw new Error(`expected ${rows} rows, ingested ${r.rows}, counted ${check}`);
    const storeBytes = duBytes(storeDir);

    // Strata: the same rows as a stream of small idempotent batches (one per copy).
    const smallDir = path.join(dir, 'store-small');
    const db2 = await Strata.open({ store: smallDir });
    await db2.createDataset('weather', { columns: parseColumns(schema), partitionKey: ['location'], sortKey: ['date'] });
    const [header, ...lines] = readFileSync(weatherCsvPath(), 'utf8').trim().split('\n');
    const batches = Math.min(copies, 200);
    const batchTexts = [];
    for (let k = 0; k < batches; k++) batchTexts.push(`${header}\n${shiftedCopy(lines, k)}\n`);
    t = performance.now();
    for (let k = 0; k < batches; k++) await db2.ingest('weather', batchTexts[k], 'csv', { writer: 'bench', seq: k + 1 });
    const smallMs = performance.now() - t;
    await db2.close();

    // Strata on Cassandra: the same file, one batch.
    let onCassandra = null;
    if (cassandra) {
      const url = `cassandra://${cassandra}/strata_bench_${Date.now()}`;
      const db3 = await Strata.open({ store: url });
      await db3.createDataset('weather', { columns: parseColumns(schema), partitionKey: ['location'], sortKey: ['date'] });
      t = performance.now();
      const r3 = await db3.ingest('weather', createReadStream(csv), 'csv', { writer: 'bench', seq: 1 });
      const ms = performance.now() - t;
      const info = await db3.describe('weather');
      await db3.close();
      onCassandra = { ms, rowsPerSec: r3.rows / (ms / 1000), payloadBytes: info.bytes, bytesPerRow: info.bytes / r3.rows, chunks: r3.chunks };
    }

    // DuckDB, same process, same file: native table and Parquet (zstd).
    const duck = await DuckDBInstance.create(path.join(dir, 'duck.db'));
    const con = await duck.connect();
    t = performance.now();
    await con.run(`create table weather as select * from read_csv('${csv}', header=true, types={'date':'TIMESTAMP'})`);
    await con.run('checkpoint');
    const duckMs = performance.now() - t;
    const parquet = path.join(dir, 'weather.parquet');
    await con.run(`copy weather to '${parquet}' (format parquet, compression zstd)`);
    con.closeSync();
    duck.closeSync();

    return {
      rows, copies, csvBytes,
      strata: { oneBatch: { ms: strataMs, rowsPerSec: rows / (strataMs / 1000), bytes: storeBytes, bytesPerRow: storeBytes / rows, chunks: r.chunks },
        smallBatches: { batches, rowsPerBatch: lines.length, ms: smallMs, rowsPerSec: (batches * lines.length) / (smallMs / 1000), batchesPerSec: batches / (smallMs / 1000) },
        cassandra: onCassandra },
      duckdbNative: { ms: duckMs, rowsPerSec: rows / (duckMs / 1000), bytes: statSync(path.join(dir, 'duck.db')).size, bytesPerRow: statSync(path.join(dir, 'duck.db')).size / rows },
      parquetZstd: { bytes: statSync(parquet).size, bytesPerRow: statSync(parquet).size / rows },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
