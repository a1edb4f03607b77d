// TSBS cpu-only on Strata beside a DuckDB native table, in one process: the
// same generated rows loaded into both (Strata through its ingest path, one
// idempotent Arrow batch per group of hosts), then each TSBS query type run
// on both with the same seeded parameters, every answer compared, medians
// of the timed runs, and the bytes each keeps on disk.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Strata, parseColumns } from '../../dist/index.js';
import { compareRows } from './compare.js';
import { cpuBatches, random, startMs, stepMs, strataSchema, tagValues } from './generate.js';
import { appendBatch, batchToIpc, duckdbCreateTables, duckdbDropStaging } from './load.js';
import { makeQuery, queryTypes } from './queries.js';
import { clickHouseBytes, loadClickHouse, queryClickHouse, startClickHouse } from './clickhouse.js';
import { duBytes } from '../disk.js';


const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function timed(fn) {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/** Types whose warm-up takes less than quickMs on every system run quickRuns times. */
const quickMs = 50;
const quickRuns = 25;

export async function benchTsbs({ hosts = 1000, rows = 10_000_000, runs = 5, seed = 1, hostsPerBatch = 100, threads = 2, log = () => {} } = {}) {
  const intervals = Math.ceil(rows / hosts);
  const values = tagValues(hosts);
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-bench-tsbs-'));
  let db; let duck; let con; let ch;
  try {
    const storeDir = path.join(dir, 'store');
    db = await Strata.open({ store: storeDir, threads });
    await db.createDataset('cpu', { columns: parseColumns(strataSchema), partitionKey: ['hostname'], sortKey: ['time'] });
    const duckFile = path.join(dir, 'cpu.duckdb');
    duck = await DuckDBInstance.create(duckFile, { threads: String(threads) });
    con = await duck.connect();
    for (const sql of duckdbCreateTables) await con.run(sql);

    // Load: generation and Arrow encoding are not counted; each system's load is.
    const load = { generateMs: 0, strataMs: 0, duckdbMs: 0, batches: 0, chunks: 0 };
    for (const batch of cpuBatches({ hosts, intervals, hostsPerBatch, seed })) {
      const t = performance.now();
      const ipc = batchToIpc(batch, values);
      load.generateMs += performance.now() - t;
      const s = await timed(() => db.ingest('cpu', ipc, 'arrow', { writer: 'tsbs', seq: ++load.batches }));
      load.strataMs += s.ms;
      load.chunks += s.value.chunks;
      load.duckdbMs += (await timed(() => appendBatch(con, batch, values))).ms;
      log(`tsbs: loaded ${Math.min(load.batches * hostsPerBatch, hosts)}/${hosts} hosts`);
    }
    load.duckdbMs += (await timed(async () => { await con.run(duckdbDropStaging); await con.run('checkpoint'); })).ms;
    const total = hosts * intervals;
    const counted = [(await db.sql('select count(*) from cpu')).rows[0][0], Number((await con.runAndReadAll('select count(*) from cpu')).getRowsJson()[0][0])];
    if (counted[0] !== total || counted[1] !== total) throw new Error(`expected ${total} rows, Strata has ${counted[0]}, DuckDB ${counted[1]}`);

    // ClickHouse: the same rows, exported by DuckDB (not counted), inserted over HTTP and merged (counted).
    const clickhouse = { error: null, version: null, loadMs: 0, bytes: 0 };
    const started = await startClickHouse(path.join(dir, 'clickhouse'), { threads });
    if (started.error) { clickhouse.error = started.error; log(`tsbs: ClickHouse left out: ${started.error}`); } else {
      ch = started;
      clickhouse.version = ch.version;
      const csv = path.join(dir, 'cpu.csv');
      await con.run(`copy cpu to '${csv}' (header false)`);
      const l = await timed(() => loadClickHouse(ch, csv));
      rmSync(csv);
      if (l.value !== total) throw new Error(`expected ${total} rows, ClickHouse has ${l.value}`);
      clickhouse.loadMs = l.ms;
      clickhouse.bytes = await clickHouseBytes(ch);
      log(`tsbs: ClickHouse ${ch.version} loaded in ${l.ms.toFixed(0)} ms`);
    }

    // Queries: runs + 1 per type (the first is a warm-up), Strata and DuckDB alternating; every answer is compared.
    // A type whose warm-up is quick on every system gets quickRuns: a median of 5 millisecond-scale runs mostly measures the machine's noise.
    const rand = random(seed * 7919 + 17);
    const range = { rand, hosts, firstMs: startMs, endMs: startMs + intervals * stepMs };
    const queries = [];
    for (const type of queryTypes) {
      const strataMs = []; const duckdbMs = []; const clickhouseMs = []; const resultRows = []; let mismatch = null; let chMismatch = null; let warmup = null;
      let typeRuns = runs;
      for (let i = 0; i <= typeRuns; i++) {
        const q = makeQuery(type, range);
        const s = await timed(async () => (await db.sql(q.sql)).rows);
        const d = await timed(async () => (await con.runAndReadAll(q.sql)).getRowsJson());
        const c = ch ? await timed(() => queryClickHouse(ch, q.sql)) : null;
        const chDiff = c && compareRows(c.value, d.value, q);
        if (chDiff && !chMismatch) {
          chMismatch = `run ${i}: ${chDiff}`;
          log(`tsbs: ${type}: ClickHouse MISMATCH ${chMismatch}\n  ${q.sql}`);
        }
        if (c && i > 0) clickhouseMs.push(c.ms);
        const diff = compareRows(s.value, d.value, q);
        if (diff && !mismatch) {
          mismatch = `run ${i}: ${diff}`;
          log(`tsbs: ${type}: MISMATCH ${mismatch}\n  ${q.sql}`);
        }
        resultRows.push(d.value.length);
        if (i === 0) {
          warmup = { strataMs: s.ms, duckdbMs: d.ms, sql: q.sql };
          if (Math.max(s.ms, d.ms, c?.ms ?? 0) < quickMs) typeRuns = Math.max(runs, quickRuns);
        }
        else { strataMs.push(s.ms); duckdbMs.push(d.ms); }
      }
      const r = { type, strataMs: median(strataMs), duckdbMs: median(duckdbMs), clickhouseMs: ch ? median(clickhouseMs) : null, runs: { strataMs, duckdbMs, clickhouseMs }, warmup, resultRows, mismatch, chMismatch };
      r.ratio = r.strataMs / r.duckdbMs;
      r.chRatio = ch ? r.strataMs / r.clickhouseMs : null;
      queries.push(r);
      log(`tsbs: ${type}: Strata ${r.strataMs.toFixed(1)} ms, DuckDB ${r.duckdbMs.toFixed(1)} ms${mismatch ? ' (MISMATCH)' : ''}`);
    }
    const geomeanRatio = Math.exp(queries.reduce((s, q) => s + Math.log(q.ratio), 0) / queries.length);
    const chGeomeanRatio = ch ? Math.exp(queries.reduce((s, q) => s + Math.log(q.chRatio), 0) / queries.length) : null;

    // Bytes: Strata's store folder, DuckDB's file after its checkpoint, and the same rows as Parquet (zstd).
    const parquet = path.join(dir, 'cpu.parquet');
    await con.run(`copy cpu to '${parquet}' (format parquet, compression zstd)`);
    const bytes = { strata: duBytes(storeDir), duckdb: statSync(duckFile).size, parquetZstd: statSync(parquet).size };

    return {
      rows: total, hosts, intervals, intervalSeconds: stepMs / 1000, batches: load.batches, hostsPerBatch, seed, runs, threads,
      load: {
        generateMs: load.generateMs,
        strata: { ms: load.strataMs, rowsPerSec: total / (load.strataMs / 1000), chunks: load.chunks },
        duckdb: { ms: load.duckdbMs, rowsPerSec: total / (load.duckdbMs / 1000) },
      },
      bytes: { ...bytes, strataPerRow: bytes.strata / total, duckdbPerRow: bytes.duckdb / total, parquetZstdPerRow: bytes.parquetZstd / total },
      queries,
      geomeanRatio,
      clickhouse: { ...clickhouse, geomeanRatio: chGeomeanRatio, mismatches: queries.filter((q) => q.chMismatch).length },
      mismatches: queries.filter((q) => q.mismatch).length,
    };
  } finally {
    await ch?.stop();
    con?.closeSync();
    duck?.closeSync();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const f0 = (n) => Math.round(n).toLocaleString('en-US');
const f1 = (n) => n.toFixed(1);
const ms = (n) => (n < 100 ? n.toFixed(1) : f0(n));
const rowRange = (xs) => (Math.min(...xs) === Math.max(...xs) ? f0(xs[0]) : `${f0(Math.min(...xs))}-${f0(Math.max(...xs))}`);

/** The results as a markdown section. */
export function tsbsMarkdown(r) {
  return [
    `## TSBS cpu-only: ${f0(r.hosts)} hosts x ${f0(r.intervals)} intervals of ${r.intervalSeconds} s (${f0(r.rows)} rows), seed ${r.seed}`,
    '',
    `Load (generating the rows and their Arrow IPC, ${f0(r.load.generateMs)} ms, is not counted):`,
    '',
    '| system | load | time (ms) | rows/s | bytes on disk | bytes/row |',
    '|---|---|---:|---:|---:|---:|',
    `| Strata (local store) | ${r.batches} Arrow IPC batch${r.batches === 1 ? '' : 'es'} of ${Math.min(r.hostsPerBatch, r.hosts)} hosts, idempotent (${f0(r.load.strata.chunks)} chunks) | ${f0(r.load.strata.ms)} | ${f0(r.load.strata.rowsPerSec)} | ${f0(r.bytes.strata)} | ${f1(r.bytes.strataPerRow)} |`,
    `| DuckDB native table | appender + INSERT ... SELECT + checkpoint | ${f0(r.load.duckdb.ms)} | ${f0(r.load.duckdb.rowsPerSec)} | ${f0(r.bytes.duckdb)} | ${f1(r.bytes.duckdbPerRow)} |`,
    ...(r.clickhouse.error ? [] : [`| ClickHouse ${r.clickhouse.version} (MergeTree ordered by hostname, time; bytes of active parts) | CSV over HTTP + OPTIMIZE FINAL | ${f0(r.clickhouse.loadMs)} | ${f0(r.rows / (r.clickhouse.loadMs / 1000))} | ${f0(r.clickhouse.bytes)} | ${f1(r.clickhouse.bytes / r.rows)} |`]),
    `| Parquet (zstd, by DuckDB) | | | | ${f0(r.bytes.parquetZstd)} | ${f1(r.bytes.parquetZstdPerRow)} |`,
    '',
    `Queries: median of ${r.runs} runs after a warm-up (${quickRuns} for a type whose warm-up took under ${quickMs} ms on every system), each run with new seeded parameters, the same for both; both run in DuckDB with ${r.threads} threads. Every answer (warm-up included) is compared.`,
    '',
    r.clickhouse.error
      ? `ClickHouse is left out of this run: ${r.clickhouse.error}.`
      : `ClickHouse ${r.clickhouse.version} answers the same queries in its dialect (toStartOfMinute/Hour for date_trunc, LIMIT 1 BY for DISTINCT ON) over HTTP on loopback with max_threads = ${r.threads}; its answers are compared with DuckDB's.`,
    '',
    '| query | result rows (min-max) | Strata (ms) | DuckDB native (ms) | ClickHouse (ms) | Strata / DuckDB | Strata / ClickHouse | answers |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...r.queries.map((q) => `| ${q.type} | ${rowRange(q.resultRows)} | ${ms(q.strataMs)} | ${ms(q.duckdbMs)} | ${q.clickhouseMs === null ? '' : ms(q.clickhouseMs)} | ${q.ratio.toFixed(2)} | ${q.chRatio === null ? '' : q.chRatio.toFixed(2)} | ${[q.mismatch ? `**MISMATCH** ${q.mismatch}` : `same (${q.resultRows.length} runs)`, q.chMismatch ? `**ClickHouse differs** ${q.chMismatch}` : ''].filter(Boolean).join('; ')} |`),
    `| **geometric mean** | | | | | **${r.geomeanRatio.toFixed(2)}** | **${r.clickhouse.geomeanRatio === null ? '' : r.clickhouse.geomeanRatio.toFixed(2)}** | ${r.mismatches ? `**${r.mismatches} mismatches**` : 'all same'}${r.clickhouse.mismatches ? `, ClickHouse differs in ${r.clickhouse.mismatches}` : ''} |`,
    '',
  ].join('\n');
}
