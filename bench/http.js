// HTTP load, measured against a real listening server in this process:
// - ingest rows/s with 1, 8 and 64 concurrent writers, small and large Arrow IPC batches;
// - SQL queries/s and latency for a one-partition, last-hour query;
// - a mixed load (writers + queries) for a fixed time, after which every acknowledged
//   batch must be present exactly once; peak RSS is reported.
// Traffic goes to 127.0.0.1 only; every loop is bounded in count and time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as A from 'apache-arrow';
import { Strata, buildApp, parseColumns } from '../dist/index.js';

const schema = 'host:string,ts:timestamp,v:float64';
const hourMs = 3_600_000;

function arrowBatch(writer, seq, rows, startMs) {
  const host = new Array(rows).fill(writer);
  const ts = A.vectorFromArray(Array.from({ length: rows }, (_, i) => startMs + i * 1000), new A.TimestampMillisecond());
  const v = A.makeVector(Float64Array.from({ length: rows }, (_, i) => (seq * 31 + i) % 100));
  return A.tableToIPC(new A.Table({ host: A.vectorFromArray(host), ts, v }), 'stream');
}

async function post(base, pathName, body, headers) {
  const r = await fetch(`${base}${pathName}`, { method: 'POST', body, headers });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

const percentile = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN; };

async function ingestRun(base, dataset, writers, batchRows, batches) {
  const t0 = performance.now();
  let rows = 0; let rejected = 0;
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let seq = 1; seq <= batches; seq++) {
      const body = arrowBatch(`w${w}`, seq, batchRows, Date.UTC(2026, 0, 1) + seq * batchRows * 1000);
      for (;;) {
        const r = await post(base, `/datasets/${dataset}/rows`, body, { 'content-type': 'application/vnd.apache.arrow.stream', 'strata-writer': `w${w}`, 'strata-seq': String(seq) });
        if (r.status === 429) { rejected++; await new Promise((res) => setTimeout(res, 20)); continue; }
        if (r.status !== 200) throw new Error(`ingest: HTTP ${r.status} ${JSON.stringify(r.body)}`);
        rows += r.body.rows;
        break;
      }
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  return { writers, batchRows, batches: writers * batches, rows, seconds, rowsPerSec: rows / seconds, rejected429: rejected };
}

export async function benchHttp({ mixedSeconds = 60 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-bench-http-'));
  const db = await Strata.open({ store: path.join(dir, 'store') });
  const app = await buildApp(db);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const ingest = [];
    for (const [writers, batchRows, batches] of [[1, 100, 200], [8, 100, 50], [64, 100, 10], [1, 50_000, 10], [8, 50_000, 4], [64, 5_000, 4]]) {
      const name = `ingest_${writers}_${batchRows}`;
      await db.createDataset(name, { columns: parseColumns(schema), partitionKey: ['host'], sortKey: ['ts'] });
      ingest.push(await ingestRun(base, name, writers, batchRows, batches));
    }

    // One partition, last hour: a dashboard's query.
    await db.createDataset('q', { columns: parseColumns(schema), partitionKey: ['host'], sortKey: ['ts'] });
    for (let h = 0; h < 20; h++) await db.ingest('q', arrowBatch(`host${h}`, 1, 86_400 / 10, Date.UTC(2026, 0, 1)), 'arrow');
    const sql = JSON.stringify({ sql: "SELECT date_trunc('minute', ts) AS m, avg(v), max(v) FROM q WHERE host = 'host7' AND ts >= TIMESTAMP '2026-01-01 23:00:00' GROUP BY 1 ORDER BY 1" });
    const latencies = [];
    const qStart = performance.now();
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (performance.now() - qStart < 10_000) {
        const t = performance.now();
        const r = await post(base, '/sql', sql, { 'content-type': 'application/json' });
        if (r.status !== 200) throw new Error(`sql: HTTP ${r.status}`);
        latencies.push(performance.now() - t);
      }
    }));
    const query = { seconds: (performance.now() - qStart) / 1000, queries: latencies.length, qps: latencies.length / ((performance.now() - qStart) / 1000), p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };

    // Mixed load: 16 writers and 4 query loops for mixedSeconds.
    await db.createDataset('mixed', { columns: parseColumns(schema), partitionKey: ['host'], sortKey: ['ts'] });
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
    const acked = new Map();
    let errors = 0; let throttled = 0; let mixedQueries = 0;
    const mStart = performance.now();
    const until = () => performance.now() - mStart < mixedSeconds * 1000;
    await Promise.all([
      ...Array.from({ length: 16 }, async (_, w) => {
        for (let seq = 1; until(); seq++) {
          const rows = 50 + ((seq * 7 + w) % 200);
          const body = arrowBatch(`m${w}`, seq, rows, Date.UTC(2026, 0, 1) + seq * 1_000_000);
          for (;;) {
            const r = await post(base, '/datasets/mixed/rows', body, { 'content-type': 'application/vnd.apache.arrow.stream', 'strata-writer': `m${w}`, 'strata-seq': String(seq) });
            if (r.status === 429) { throttled++; await new Promise((res) => setTimeout(res, 20)); continue; }
            if (r.status !== 200) { errors++; break; }
            acked.set(`m${w}:${seq}`, rows);
            break;
          }
        }
      }),
      ...Array.from({ length: 4 }, async () => {
        while (until()) {
          const r = await post(base, '/sql', JSON.stringify({ sql: 'SELECT host, count(*), max(ts) FROM mixed GROUP BY 1' }), { 'content-type': 'application/json' });
          if (r.status !== 200) errors++; else mixedQueries++;
        }
      }),
    ]);
    clearInterval(sampler);
    const versions = await db.versions('mixed');
    const stored = new Map();
    for (const v of versions) for (const a of v.appends) stored.set(`${a.writer}:${a.seq}`, (stored.get(`${a.writer}:${a.seq}`) ?? 0) + 1);
    const once = [...acked.keys()].every((k) => stored.get(k) === 1) && stored.size === acked.size;
    const totalRows = [...acked.values()].reduce((a, b) => a + b, 0);
    const counted = (await db.sql('SELECT count(*) FROM mixed')).rows[0][0];
    const mixed = {
      seconds: mixedSeconds, batches: acked.size, rows: totalRows, versions: versions.length - 1, queries: mixedQueries, errors, throttled429: throttled,
      everyAckedBatchExactlyOnce: once && counted === totalRows, peakRssMiB: Math.round(peakRss / 2 ** 20),
    };
    return { ingest, query, mixed };
  } finally {
    await app.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
