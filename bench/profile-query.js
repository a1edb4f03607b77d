// Profiling aid: loads TSBS cpu rows (STRATA_PROFILE_HOSTS x 10,000 intervals)
// into a fresh local store, then runs one TSBS query type repeatedly, printing
// each run's time and EXPLAIN. STRATA_PROFILE_CPU=<file.cpuprofile> records a
// CPU profile of the query runs only (not the load), for Chrome DevTools:
// STRATA_PROFILE_CPU=/tmp/q.cpuprofile node bench/profile-query.js double-groupby-1
// STRATA_PROFILE_STORE=<dir> keeps the loaded store there and reuses it on later runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Strata, parseColumns } from '../dist/index.js';
import { cpuBatches, random, startMs, stepMs, strataSchema, tagValues } from './tsbs/generate.js';
import { batchToIpc } from './tsbs/load.js';
import { makeQuery } from './tsbs/queries.js';

const type = process.argv[2] ?? 'double-groupby-1';
const hosts = Number(process.env.STRATA_PROFILE_HOSTS ?? 100);
const intervals = 10_000;
const kept = process.env.STRATA_PROFILE_STORE;
const dir = kept ?? mkdtempSync(path.join(tmpdir(), 'strata-profile-'));
const db = await Strata.open({ store: dir, threads: 2 });
try {
  if (!(await db.listDatasets()).includes('cpu')) {
    await db.createDataset('cpu', { columns: parseColumns(strataSchema), partitionKey: ['hostname'], sortKey: ['time'] });
    const values = tagValues(hosts);
    let seq = 0;
    for (const batch of cpuBatches({ hosts, intervals, hostsPerBatch: 100, seed: 1 })) await db.ingest('cpu', batchToIpc(batch, values), 'arrow', { writer: 'p', seq: ++seq });
  }
  const rand = random(7);
  const profileFile = process.env.STRATA_PROFILE_CPU;
  const session = profileFile ? new Session() : null;
  if (session) { session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.start'); }
  for (let i = 0; i < Number(process.env.STRATA_PROFILE_RUNS ?? 10); i++) {
    const { sql } = makeQuery(type, { rand, hosts, firstMs: startMs, endMs: startMs + intervals * stepMs });
    const t = performance.now();
    const r = await db.sql(sql);
    const s = r.explain.scans[0];
    console.log(`${(performance.now() - t).toFixed(1)} ms ${r.explain.path} scan ${r.explain.scanMs.toFixed(1)} (read ${s?.readMs.toFixed(1)}, filter ${s?.filterMs.toFixed(1)}, rows ${s?.rowsSelected}) duckdb ${r.explain.duckdbMs.toFixed(1)}`);
  }
  if (session) { const { profile } = await session.post('Profiler.stop'); writeFileSync(profileFile, JSON.stringify(profile)); session.disconnect(); }
} finally {
  await db.close();
  if (!kept) rmSync(dir, { recursive: true, force: true });
}
