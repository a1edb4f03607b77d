// npm run bench: runs every benchmark, each section in a process of its own (bench/section.js),
// and writes bench/results/latest.json and latest.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCassandra } from './cassandra.js';
import { filodbMarkdown } from './filodb/index.js';
import { flightsMarkdown } from './flights.js';
import { kernelsMarkdown } from './kernels.js';
import { lifecycleMarkdown } from './lifecycle.js';
import { kafkaMarkdown } from './kafka.js';
import { consoleMarkdown } from './console.js';
import { historyMarkdown, httpStreamMarkdown, streamMarkdown } from './stream.js';
import { tsbsMarkdown } from './tsbs/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const copies = Number(process.env.STRATA_BENCH_COPIES ?? 1000);
const env = (name, fallback) => Number(process.env[name] ?? fallback);
const tsbsOptions = {
  hosts: env('STRATA_BENCH_TSBS_HOSTS', 1000), rows: env('STRATA_BENCH_TSBS_ROWS', 10_000_000),
  runs: env('STRATA_BENCH_TSBS_RUNS', 5), seed: env('STRATA_BENCH_SEED', 1),
};
const filodbOptions = {
  hosts: env('STRATA_BENCH_FILODB_HOSTS', 100), rows: env('STRATA_BENCH_FILODB_ROWS', 1_000_000),
  runs: env('STRATA_BENCH_FILODB_RUNS', 3), seed: env('STRATA_BENCH_SEED', 1),
};
const started = performance.now();
const log = (m) => console.log(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${m}`);

/** Runs one section in a child process of its own (bench/section.js) and returns its result. */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-'));
function section(name, options = {}) {
  const out = path.join(scratch, `${name}.json`);
  execFileSync(process.execPath, [path.join(here, 'section.js'), name, JSON.stringify(options), out], { stdio: 'inherit' });
  const result = JSON.parse(readFileSync(out, 'utf8'));
  log(`${name} done`);
  return result;
}

const f0 = (n) => Math.round(n).toLocaleString('en-US');
const f1 = (n) => n.toFixed(1);

const cassandra = await benchCassandra();
let ingest;
let filodb;
let httpStream;
let kafka;
try {
  ingest = section('ingest', { copies, cassandra: cassandra.contactPoint });
  filodb = section('filodb', { ...filodbOptions, contactPoint: cassandra.contactPoint });
  httpStream = section('httpStream', { seconds: env('STRATA_BENCH_STREAM_SECONDS', 10), cassandra: cassandra.contactPoint });
  kafka = section('kafka', { records: env('STRATA_BENCH_KAFKA_RECORDS', 1_000_000), cassandra: cassandra.contactPoint });
} finally {
  await cassandra.stop();
}
const stream = section('stream', { hosts: env('STRATA_BENCH_STREAM_HOSTS', 20), steps: env('STRATA_BENCH_STREAM_STEPS', 2000) });
const history = section('history', { versions: env('STRATA_BENCH_HISTORY_VERSIONS', 100_000) });
const deletes = section('deletes', { rows: env('STRATA_BENCH_DELETE_ROWS', 10_000_000) });
const lifecycle = section('lifecycle', { batches: env('STRATA_BENCH_LIFECYCLE_BATCHES', 300) });
const kernels = section('kernels');
const tsbs = section('tsbs', tsbsOptions);
const flights = section('flights', { runs: env('STRATA_BENCH_FLIGHTS_RUNS', 5) });
const webConsole = section('console');
const http = section('http', { mixedSeconds: Number(process.env.STRATA_BENCH_HTTP_MIXED_SECONDS ?? 60) });
rmSync(scratch, { recursive: true, force: true });
const results = {
  time: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  cassandraStartSeconds: cassandra.startSeconds,
  ingest,
  stream,
  httpStream,
  kafka,
  history,
  deletes,
  lifecycle,
  kernels,
  tsbs,
  flights,
  filodb,
  http,
  console: webConsole,
  seconds: Math.round((performance.now() - started) / 1000),
};

const md = [
  `# Strata benchmarks (${results.time})`,
  '',
  `Machine: ${results.machine.cpus} cores (${results.machine.cpu}), ${results.machine.memoryGiB} GiB, Node ${results.machine.node}.`,
  '',
  `## Ingest: weather.csv x ${ingest.copies} (${f0(ingest.rows)} rows, ${f0(ingest.csvBytes)} bytes of CSV)`,
  '',
  '| system | load | time (ms) | rows/s | bytes on disk | bytes/row |',
  '|---|---|---:|---:|---:|---:|',
  `| Strata (local store) | one batch | ${f0(ingest.strata.oneBatch.ms)} | ${f0(ingest.strata.oneBatch.rowsPerSec)} | ${f0(ingest.strata.oneBatch.bytes)} | ${f1(ingest.strata.oneBatch.bytesPerRow)} |`,
  `| Strata (local store) | ${ingest.strata.smallBatches.batches} batches of ${ingest.strata.smallBatches.rowsPerBatch} rows, idempotent | ${f0(ingest.strata.smallBatches.ms)} | ${f0(ingest.strata.smallBatches.rowsPerSec)} | | |`,
  ...(ingest.strata.cassandra ? [`| Strata (Cassandra, 1 node) | one batch | ${f0(ingest.strata.cassandra.ms)} | ${f0(ingest.strata.cassandra.rowsPerSec)} | ${f0(ingest.strata.cassandra.payloadBytes)} (cell payload) | ${f1(ingest.strata.cassandra.bytesPerRow)} |`] : []),
  `| DuckDB native table | read_csv + checkpoint | ${f0(ingest.duckdbNative.ms)} | ${f0(ingest.duckdbNative.rowsPerSec)} | ${f0(ingest.duckdbNative.bytes)} | ${f1(ingest.duckdbNative.bytesPerRow)} |`,
  `| Parquet (zstd, by DuckDB) | | | | ${f0(ingest.parquetZstd.bytes)} | ${f1(ingest.parquetZstd.bytesPerRow)} |`,
  '',
  streamMarkdown(stream),
  httpStreamMarkdown(httpStream),
  historyMarkdown(history),
  lifecycleMarkdown(deletes, lifecycle),
  kafkaMarkdown(kafka),
  ...kernelsMarkdown(kernels),
  tsbsMarkdown(tsbs),
  ...flightsMarkdown(flights),
  filodbMarkdown(filodb),
  consoleMarkdown(webConsole),
  '## HTTP (a real server on 127.0.0.1 in the same process)',
  '',
  '| ingest: writers | rows per batch (Arrow IPC) | batches | rows/s | 429s |',
  '|---:|---:|---:|---:|---:|',
  ...http.ingest.map((r) => `| ${r.writers} | ${f0(r.batchRows)} | ${r.batches} | ${f0(r.rowsPerSec)} | ${r.rejected429} |`),
  '',
  `SQL, one partition, last hour, 4 clients for ${f1(http.query.seconds)} s: ${f0(http.query.qps)} queries/s, p50 ${f1(http.query.p50Ms)} ms, p99 ${f1(http.query.p99Ms)} ms.`,
  '',
  `Mixed load, ${http.mixed.seconds} s, 16 writers + 4 query loops: ${f0(http.mixed.batches)} batches (${f0(http.mixed.rows)} rows) in ${f0(http.mixed.versions)} versions (group commit), ${f0(http.mixed.queries)} queries, ${http.mixed.errors} errors, ${http.mixed.throttled429} deliberate 429s; every acknowledged batch exactly once: ${http.mixed.everyAckedBatchExactlyOnce ? 'yes' : '**NO**'}; peak RSS ${http.mixed.peakRssMiB} MiB.`,
  '',
  results.cassandraStartSeconds !== null ? `Cassandra started for this run in ${results.cassandraStartSeconds} s.` : 'Cassandra was already running.',
  `All benchmarks: ${results.seconds} s.`,
  '',
].join('\n');

mkdirSync(path.join(here, 'results'), { recursive: true });
writeFileSync(path.join(here, 'results', 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(path.join(here, 'results', 'latest.md'), md);
console.log(md);
