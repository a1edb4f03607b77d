// The streaming writer's scenario, beside the one-batch load of the same rows:
// 20 hosts x 2,000 time steps, 5 float64 columns, partition key hostname,
// sort key time, local store with fsync. The stream is 2,000 batches of 20
// rows (one per time step) through the TypeScript API, one after the other,
// with background compaction on; it is measured while it runs (a query loop
// beside it) and after it settles (compaction done, then a vacuum that keeps
// only the head). Files and bytes count every file under the store; the cold
// query is a new `strata sql` process; the warm one is the median of 5 in a
// long-lived process.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Strata, parseColumns } from '../dist/index.js';
import { duBytes } from './disk.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'strata');
const schema = 'hostname:string,time:timestamp,usage_user:float64,usage_system:float64,usage_idle:float64,usage_nice:float64,usage_iowait:float64';
const query = 'select hostname, avg(usage_user), max(usage_system), count(*) from cpu group by hostname order by hostname';

function files(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? files(path.join(dir, e.name)) : 1;
  return n;
}

function rowsAt(step, hosts) {
  return Array.from({ length: hosts }, (_, h) => ({
    hostname: `host_${h}`, time: 1_700_000_000_000 + step * 10_000,
    usage_user: (step * 7 + h) % 100, usage_system: (step * 3 + h * 5) % 100, usage_idle: (step + h * 11) % 100, usage_nice: (h * step) % 17, usage_iowait: (step % 13) + h / 10,
  }));
}

const ndjson = (rows) => rows.map((r) => JSON.stringify(r)).join('\n');

function coldQueryMs(store) {
  const t = performance.now();
  const out = execFileSync(process.execPath, [bin, '--store', store, 'sql', query, '--format', 'json'], { env: { ...process.env, STRATA_COMPACTION_IDLE_MS: '0' } }).toString();
  const ms = performance.now() - t;
  return { ms, answer: JSON.parse(out) };
}

async function warmQueryMs(db) {
  await db.sql(query);
  const times = [];
  for (let i = 0; i < 5; i++) { const t = performance.now(); await db.sql(query); times.push(performance.now() - t); }
  return times.sort((a, b) => a - b)[2];
}

export async function benchStream({ hosts = 20, steps = 2000 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-bench-stream-'));
  try {
    // One batch of every row.
    const oneStore = path.join(dir, 'one');
    const one = await Strata.open({ store: oneStore });
    await one.createDataset('cpu', { columns: parseColumns(schema), partitionKey: ['hostname'], sortKey: ['time'] });
    const all = Array.from({ length: steps }, (_, s) => rowsAt(s, hosts)).flat();
    let t = performance.now();
    await one.ingest('cpu', ndjson(all), 'ndjson', { writer: 'load', seq: 1 });
    const oneMs = performance.now() - t;
    const oneWarm = await warmQueryMs(one);
    await one.close();
    const oneCold = coldQueryMs(oneStore);
    const oneBatch = { rowsPerSec: all.length / (oneMs / 1000), files: files(oneStore), bytes: duBytes(oneStore), coldMs: oneCold.ms, warmMs: oneWarm };

    // The stream, compaction in the background; a query loop beside it measures warm queries while it runs.
    const streamStore = path.join(dir, 'stream');
    const db = await Strata.open({ store: streamStore });
    await db.createDataset('cpu', { columns: parseColumns(schema), partitionKey: ['hostname'], sortKey: ['time'] });
    let streaming = true;
    const during = [];
    const loop = (async () => {
      await new Promise((r) => setTimeout(r, 500));
      while (streaming) {
        const q = performance.now();
        await db.sql(query);
        during.push(performance.now() - q);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    t = performance.now();
    for (let s = 0; s < steps; s++) await db.ingest('cpu', ndjson(rowsAt(s, hosts)), 'ndjson', { writer: 'agent', seq: s + 1 });
    const streamMs = performance.now() - t;
    streaming = false;
    await loop;
    const duringInfo = await db.describe('cpu');
    const whileRunning = { files: files(streamStore), bytes: duBytes(streamStore), chunks: duringInfo.chunks, pending: duringInfo.pendingCompactionChunks };
    // Settle: background compaction finishes once the dataset is quiet.
    const settleStart = performance.now();
    for (let i = 0; i < 600 && (await db.describe('cpu')).pendingCompactionChunks > 0; i++) await new Promise((r) => setTimeout(r, 100));
    const settleMs = performance.now() - settleStart;
    const vacuum = await db.vacuum('cpu', { retainMs: 0, graceMs: 0 });
    const streamWarm = await warmQueryMs(db);
    const answer = (await db.sql(query)).rows;
    const info = await db.describe('cpu');
    const totals = db.compactionTotals();
    await db.close();
    const streamCold = coldQueryMs(streamStore);
    if (JSON.stringify(streamCold.answer) !== JSON.stringify(oneCold.answer)) throw new Error('the stream and the one batch answer differently');
    const sorted = [...during].sort((a, b) => a - b);
    const stream = {
      batches: steps, rowsPerBatch: hosts, rowsPerSec: all.length / (streamMs / 1000), commitsPerSec: steps / (streamMs / 1000),
      during: { ...whileRunning, warmMsMedian: sorted[Math.floor(sorted.length / 2)] ?? null, warmMsMax: sorted[sorted.length - 1] ?? null, queries: sorted.length },
      settleMs, vacuum,
      files: files(streamStore), bytes: duBytes(streamStore), chunks: info.chunks, coldMs: streamCold.ms, warmMs: streamWarm,
      compaction: totals, answerRows: answer.length,
    };
    return { hosts, steps, rows: all.length, oneBatch, stream };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function streamMarkdown(r) {
  const f0 = (n) => Math.round(n).toLocaleString('en-US');
  const f1 = (n) => (n === null ? '-' : n.toFixed(1));
  const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
  const o = r.oneBatch; const s = r.stream;
  return [
    `## A stream of small batches beside one batch (${r.hosts} hosts x ${r.steps} steps = ${f0(r.rows)} rows, local store, fsync on)`,
    '',
    '| | one batch | stream while it runs | stream after it settles | settled / one batch |',
    '|---|---:|---:|---:|---:|',
    `| ingest rows/s | ${f0(o.rowsPerSec)} | ${f0(s.rowsPerSec)} (${f0(s.commitsPerSec)} commits/s) | | |`,
    `| files in the store | ${f0(o.files)} | ${f0(s.during.files)} | ${f0(s.files)} | ${ratio(s.files, o.files)} |`,
    `| bytes on disk (bytes/row) | ${f0(o.bytes)} (${f1(o.bytes / r.rows)}) | ${f0(s.during.bytes)} (${f1(s.during.bytes / r.rows)}) | ${f0(s.bytes)} (${f1(s.bytes / r.rows)}) | ${ratio(s.bytes, o.bytes)} |`,
    `| cold \`strata sql\` group-by (ms) | ${f0(o.coldMs)} | | ${f0(s.coldMs)} | ${ratio(s.coldMs, o.coldMs)} |`,
    `| warm group-by (ms) | ${f1(o.warmMs)} | median ${f1(s.during.warmMsMedian)}, max ${f1(s.during.warmMsMax)} (${s.during.queries} queries; ${ratio(s.during.warmMsMedian ?? 0, o.warmMs)} median) | ${f1(s.warmMs)} | ${ratio(s.warmMs, o.warmMs)} |`,
    '',
    `While the stream ran: ${f0(s.during.chunks)} live chunks, ${f0(s.during.pending)} waiting for compaction when it ended. It settled ${f0(s.settleMs)} ms after the last batch; compaction in all: ${s.compaction.commits} compactions, ${f0(s.compaction.chunksIn)} chunks (${f0(s.compaction.rows)} rows) rewritten into ${f0(s.compaction.chunksOut)}, ${f1(s.compaction.seconds)} s. Then a vacuum keeping only the head deleted ${f0(s.vacuum.segments)} segments, ${f0(s.vacuum.versions)} version records and ${f0(s.vacuum.checkpoints)} checkpoints. Both stores answer the group-by identically.`,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url) && !process.env.STRATA_BENCH_PART) {
  const r = await benchStream({ hosts: Number(process.env.STRATA_BENCH_STREAM_HOSTS ?? 20), steps: Number(process.env.STRATA_BENCH_STREAM_STEPS ?? 2000) });
  console.log(JSON.stringify(r, null, 2));
  console.log(streamMarkdown(r));
}

// ---- streaming writers over HTTP -------------------------------------------

/**
 * Starts `strata serve` in a child process (the load comes from this one, so
 * client and server do not share an event loop) and returns its address.
 */
async function serve(store, env = {}) {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [bin, '--store', store, 'serve', '--port', '0'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const base = await new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => { err += d; const m = /on (http:\/\/\S+)/.exec(err); if (m) resolve(m[1]); });
    child.on('exit', (code) => reject(new Error(`strata serve exited ${code}: ${err}`)));
  });
  return { base, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

async function arrowBody(A, writer, seq, rows) {
  const hostname = A.vectorFromArray(Array.from({ length: rows }, (_, i) => `${writer}_h${i}`));
  const time = A.vectorFromArray(Array.from({ length: rows }, () => 1_700_000_000_000 + seq * 10_000), new A.TimestampMillisecond());
  const cols = Object.fromEntries(['usage_user', 'usage_system', 'usage_idle', 'usage_nice', 'usage_iowait'].map((c, k) => [c, A.makeVector(Float64Array.from({ length: rows }, (_, i) => (seq * (k + 3) + i) % 100))]));
  return A.tableToIPC(new A.Table({ hostname, time, ...cols }), 'stream');
}

/** `writers` writers, each with `inFlight` batches of `rows` rows on the wire, for `seconds`; every batch retried until stored. */
async function httpStream(base, dataset, { writers, inFlight, rows, seconds }) {
  const A = await import('apache-arrow');
  await fetch(`${base}/datasets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: dataset, schema, partitionKey: 'hostname', sortKey: 'time' }) });
  const bodies = await Promise.all(Array.from({ length: 50 }, (_, k) => arrowBody(A, 'w', k, rows)));
  let batches = 0; let throttled = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: writers * inFlight }, async (_, slot) => {
    const w = slot % writers;
    for (let seq = Math.floor(slot / writers) + 1; performance.now() < end; seq += inFlight) {
      for (;;) {
        const r = await fetch(`${base}/datasets/${dataset}/rows`, { method: 'POST', body: bodies[seq % bodies.length], headers: { 'content-type': 'application/vnd.apache.arrow.stream', 'strata-writer': `w${w}`, 'strata-seq': String(seq) } });
        const text = await r.text();
        if (r.status === 429 || r.status === 503) { throttled++; await new Promise((res) => setTimeout(res, 5)); continue; }
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${text}`);
        batches++;
        break;
      }
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const count = await (await fetch(`${base}/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: `select count(*) from ${dataset}` }) })).json();
  if (count.rows[0][0] !== batches * rows) throw new Error(`stored ${count.rows[0][0]} rows, acknowledged ${batches * rows}`);
  const versions = await (await fetch(`${base}/datasets/${dataset}`)).json();
  return { writers, inFlight, rows, batches, seconds: elapsed, rowsPerSec: (batches * rows) / elapsed, batchesPerSec: batches / elapsed, versions: versions.version, throttled };
}

export async function benchHttpStream({ seconds = 10, cassandra = null } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-bench-httpstream-'));
  const out = {};
  try {
    for (const [name, store] of [['local', path.join(dir, 'store')], ...(cassandra ? [['cassandra', `cassandra://${cassandra}/strata_bench_stream`]] : [])]) {
      const server = await serve(store);
      try {
        out[name] = {
          rows20: await httpStream(server.base, 's20', { writers: 16, inFlight: 8, rows: 20, seconds }),
          rows1: await httpStream(server.base, 's1', { writers: 16, inFlight: 16, rows: 1, seconds }),
        };
      } finally {
        await server.stop();
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function httpStreamMarkdown(r) {
  const f0 = (n) => Math.round(n).toLocaleString('en-US');
  const row = (store, x, what) => `| ${store} | ${what} | ${x.writers} x ${x.inFlight} | ${f0(x.batches)} | ${f0(x.rowsPerSec)} | ${f0(x.batchesPerSec)} | ${f0(x.versions)} | ${f0(x.throttled)} |`;
  return [
    '## Streaming writers over HTTP (a `strata serve` child process, Arrow IPC batches, every batch stored exactly once)',
    '',
    '| store | batches | writers x in flight | batches stored | rows/s | batches/s | versions | 429/503 retried |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...Object.entries(r).flatMap(([store, x]) => [row(store, x.rows20, '20 rows'), row(store, x.rows1, '1 row')]),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.env.STRATA_BENCH_PART === 'http') {
  const r = await benchHttpStream({ seconds: Number(process.env.STRATA_BENCH_STREAM_SECONDS ?? 10), cassandra: process.env.STRATA_BENCH_CASSANDRA ?? null });
  console.log(httpStreamMarkdown(r));
}

// ---- opening a dataset with a long history -----------------------------------

/**
 * Cold `strata sql "select count(*)"` on a dataset with `versions` versions
 * beside the same on a one-version dataset. The long history is made through
 * the version log's own commit path (one idempotent append record per
 * version, writer states and checkpoints as a stream would leave them; the
 * rows themselves in one real ingest at the end), with fsync off to make it
 * in seconds rather than minutes.
 */
export async function benchHistory({ versions = 100_000 } = {}) {
  const { LocalStore } = await import('../dist/storage/local/local-store.js');
  const { VersionLog } = await import('../dist/versions/log.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-bench-history-'));
  try {
    const columns = parseColumns('k:string,v:int32');
    const stores = { one: path.join(dir, 'one'), long: path.join(dir, 'long') };
    const one = await Strata.open({ store: stores.one, limits: { compactionIdleMs: 0 } });
    await one.createDataset('d', { columns, partitionKey: ['k'] });
    await one.close();
    const db = await Strata.open({ store: new LocalStore(stores.long, { fsync: false }), limits: { compactionIdleMs: 0 } });
    await db.createDataset('d', { columns, partitionKey: ['k'] });
    await db.close();
    const log = new VersionLog(new LocalStore(stores.long, { fsync: false }), { commitRetriesMax: 10, checkpointEveryVersions: 100 });
    const t0 = performance.now();
    for (let v = 1; v < versions; v++) {
      await log.commit('d', (head) => ({ commit: { kind: 'append', schema: head.schema, adds: [], removes: [], rowsAdded: 0, rowsRemoved: 0, appends: [{ writer: `w${v % 8}`, seq: v, digest: (v * 2654435761 % 2 ** 32).toString(16).padStart(16, '0') }] }, result: () => v }));
    }
    await log.close();
    const makeSeconds = (performance.now() - t0) / 1000;
    const rows = Array.from({ length: 1000 }, (_, i) => `{"k":"k${i % 10}","v":${i}}`).join('\n');
    for (const store of Object.values(stores)) {
      const s = await Strata.open({ store, limits: { compactionIdleMs: 0 } });
      await s.ingest('d', rows, 'ndjson');
      await s.close();
    }
    const cold = (store) => {
      const times = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const out = execFileSync(process.execPath, [bin, '--store', store, 'sql', 'select count(*) as n from d', '--format', 'json']).toString();
        times.push(performance.now() - t);
        if (JSON.parse(out)[0].n !== 1000) throw new Error(`counted ${out}`);
      }
      return times.sort((a, b) => a - b)[2];
    };
    return { versions, makeSeconds, oneVersionMs: cold(stores.one), longHistoryMs: cold(stores.long) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function historyMarkdown(r) {
  return [
    `## Opening a dataset with a long history`,
    '',
    `Cold \`strata sql "select count(*) from d"\` (median of 5 processes): ${r.versions.toLocaleString('en-US')} versions ${r.longHistoryMs.toFixed(0)} ms, one version (after the create) ${r.oneVersionMs.toFixed(0)} ms: ${(r.longHistoryMs / r.oneVersionMs).toFixed(2)}x. The long history opens from its newest checkpoint and the records after it.`,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.env.STRATA_BENCH_PART === 'history') {
  const r = await benchHistory({ versions: Number(process.env.STRATA_BENCH_HISTORY_VERSIONS ?? 100_000) });
  console.log(r, historyMarkdown(r));
}
