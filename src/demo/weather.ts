/**
 * `npm run demo`: Seattle and New York daily weather 2012-2015 (weather.csv
 * from the vega-datasets package) through the real ingest path, then
 * KillrWeather-style questions, a bad load rolled back, and time travel.
 * Uses the dataset `demo_weather` in the default store (./strata-data, or
 * $STRATA_STORE); running it again starts that dataset afresh.
 */
import { createReadStream } from 'node:fs';
import { isStrataError } from '../core/errors.js';
import { Strata } from '../db/strata.js';
import { renderTable } from '../cli/output.js';
import { parseColumns } from '../schema/schema.js';
import { weatherCsvPath } from './sample-data.js';

const dataset = 'demo_weather';
const weatherCsv = weatherCsvPath();

async function show(db: Strata, title: string, sql: string): Promise<void> {
  console.log(`\n## ${title}\n> ${sql.replace(/\s+/g, ' ').trim()}`);
  const r = await db.sql(sql);
  console.log(renderTable(r.columns.map((c) => c.name), r.rows));
}

async function main(): Promise<void> {
  const db = await Strata.open();
  try {
    console.log(`Strata demo: store ${db.store.location}, dataset ${dataset}, data ${weatherCsv}`);
    if ((await db.listDatasets()).includes(dataset)) await db.drop(dataset);
    await db.createDataset(dataset, {
      columns: parseColumns('location:string,date:timestamp,precipitation:float64,temp_max:float64,temp_min:float64,wind:float64,weather:string'),
      partitionKey: ['location'],
      sortKey: ['date'],
    });

    const t0 = performance.now();
    const first = await db.ingest(dataset, createReadStream(weatherCsv), 'csv', { writer: 'loader', seq: 1 });
    console.log(`\ningested ${first.rows} rows as version ${first.version} in ${(performance.now() - t0).toFixed(0)} ms (${first.chunks} chunks, one per location)`);
    const again = await db.ingest(dataset, createReadStream(weatherCsv), 'csv', { writer: 'loader', seq: 1 });
    console.log(`the same batch sent again (writer loader, seq 1): duplicate=${again.duplicate}, still version ${again.version}`);

    await show(db, 'Monthly high and low per location, 2015', `
      SELECT location, strftime(date, '%Y-%m') AS month, max(temp_max) AS high, min(temp_min) AS low
      FROM ${dataset} WHERE date >= TIMESTAMP '2015-01-01' GROUP BY ALL ORDER BY location, month`);
    await show(db, 'Total precipitation per year', `
      SELECT year(date) AS year, location, round(sum(precipitation), 1) AS precipitation_mm
      FROM ${dataset} GROUP BY ALL ORDER BY year, location`);
    await show(db, 'Top 5 wettest days', `
      SELECT location, strftime(date, '%Y-%m-%d') AS day, precipitation, weather
      FROM ${dataset} ORDER BY precipitation DESC, day LIMIT 5`);

    console.log('\n## A batch that cannot be stored is refused whole');
    try {
      await db.ingest(dataset, 'location,date,precipitation,temp_max,temp_min,wind,weather\nSeattle,2016-01-01,0.0,8.9,3.3,2.2,sun\nSeattle,2016-01-02,lots,7.2,2.8,3.1,rain\n', 'csv', { writer: 'loader', seq: 2 });
    } catch (e) {
      if (!isStrataError(e)) throw e;
      console.log(`refused: [${e.code}] ${e.message}`);
    }

    console.log('\n## A bad load: January 2016 sent in Fahrenheit by mistake');
    const bad = ['location,date,precipitation,temp_max,temp_min,wind,weather'];
    for (let d = 1; d <= 31; d++) bad.push(`Seattle,2016-01-${String(d).padStart(2, '0')},2.0,${46 + (d % 5)},${37 + (d % 3)},3.0,rain`);
    const loaded = await db.ingest(dataset, bad.join('\n'), 'csv', { writer: 'loader', seq: 3 });
    console.log(`committed version ${loaded.version} (${loaded.rows} rows)`);
    await show(db, 'The record high is suddenly absurd', `SELECT location, max(temp_max) AS record_high FROM ${dataset} GROUP BY ALL ORDER BY location`);
    const rolled = await db.rollback(dataset, first.version);
    console.log(`\nrolled back to version ${first.version} as version ${rolled.version}; history is kept, nothing rewritten`);
    await show(db, 'Record highs after the rollback', `SELECT location, max(temp_max) AS record_high FROM ${dataset} GROUP BY ALL ORDER BY location`);

    const versions = await db.versions(dataset);
    console.log('\n## Versions');
    console.log(renderTable(['version', 'kind', 'time', 'rows_added', 'rows_removed', 'writer', 'seq'],
      versions.map((v) => [v.version, v.kind, v.time, v.rowsAdded, v.rowsRemoved, v.writer, v.seq])));

    const badTime = versions.find((v) => v.version === loaded.version)!.time;
    await show(db, 'Time travel: the bad load is still there in history', `
      SELECT count(*) AS rows, max(temp_max) AS record_high FROM ${dataset} AT (VERSION => ${loaded.version}) WHERE location = 'Seattle'`);
    await show(db, 'Time travel by timestamp', `
      SELECT count(*) AS rows FROM ${dataset} AT (TIMESTAMP => TIMESTAMP '${badTime.replace('T', ' ').replace('Z', '')}')`);
    console.log(`\nexplore further: bin/strata sql "select * from ${dataset} limit 5"`);
  } finally {
    await db.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${isStrataError(e) ? `[${e.code}] ${e.message}` : (e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
