// Deletes and reverts.
//
// 1. The delete mechanism, measured both ways on one 10 M-row dataset (100
//    hosts, partition key host, sort key ts, columns id int64, v float64,
//    n int32 uniform in 0..999; local store with fsync): deletion vectors
//    (the default) against copy-on-write of the touched chunks
//    (`rewrite: true`), deleting 0.1 % (`n = 7`, a few rows in every chunk)
//    and 30 % (`n < 300`) of the rows, each on a fresh copy of the same
//    store. Per trial: the delete's time, the bytes it added, two queries
//    before and after (median of 9 warm runs), and a full compaction after.
// 2. A stream with deletes and reverts: 300 batches of 2,000 rows (20
//    hosts), a delete of ~10 % of the newest ten batches' rows every ten
//    batches, a revert of a batch 25 versions back every 50 batches and of
//    the newest delete every 100; background compaction on, then a full
//    compaction and a vacuum keeping only the head. Beside it, the rows that
//    survived loaded in one batch into a fresh store: bytes on disk and query
//    times (median of 31 warm runs, the two stores in turn) side by side, and their answers compared.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as A from 'apache-arrow';
import { Strata, parseColumns } from '../dist/index.js';
import { duBytes } from './disk.js';

const schema = 'host:string,ts:timestamp,id:int64,v:float64,n:int32';
const t0 = Date.UTC(2024, 0, 1);

function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

/** Rows first..first+count-1: host r % hosts, one time step per `hosts` rows, as Arrow IPC. */
function batchIpc(first, count, hosts, rand) {
  const hostNames = Array.from({ length: hosts }, (_, h) => `host_${String(h).padStart(3, '0')}`);
  const codes = new Int32Array(count); const ts = new BigInt64Array(count); const id = new BigInt64Array(count);
  const v = new Float64Array(count); const n = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const r = first + i;
    codes[i] = r % hosts; ts[i] = BigInt(t0 + Math.floor(r / hosts) * 1000); id[i] = BigInt(r);
    v[i] = rand(); n[i] = Math.floor(rand() * 1000);
  }
  const dictionary = A.vectorFromArray(hostNames, new A.Utf8());
  return A.tableToIPC(new A.Table({
    host: A.makeVector(A.makeData({ type: new A.Dictionary(new A.Utf8(), new A.Int32()), length: count, nullCount: 0, data: codes, dictionary })),
    ts: A.makeVector({ type: new A.TimestampMillisecond(), data: ts }),
    id: A.makeVector({ type: new A.Int64(), data: id }),
    v: A.makeVector({ type: new A.Float64(), data: v }),
    n: A.makeVector({ type: new A.Int32(), data: n }),
  }), 'stream');
}

async function medianMs(db, sql, runs) {
  await db.sql(sql);
  const times = [];
  for (let i = 0; i < runs; i++) { const t = performance.now(); await db.sql(sql); times.push(performance.now() - t); }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

/** Medians of two stores' times for one query, runs interleaved so neither gets the quieter moments. */
async function pairedMedianMs(a, b, sql, runs) {
  await a.sql(sql); await b.sql(sql);
  const ta = []; const tb = [];
  for (let i = 0; i < runs; i++) {
    for (const [db, times] of i % 2 === 0 ? [[a, ta], [b, tb]] : [[b, tb], [a, ta]]) { const t = performance.now(); await db.sql(sql); times.push(performance.now() - t); }
  }
  const median = (x) => x.sort((p, q) => p - q)[Math.floor(runs / 2)];
  return { stream: median(ta), one: median(tb) };
}

const deleteQueries = {
  'group by host': 'select host, count(*), sum(v) from t group by host order by host',
  'filtered count': 'select count(*) from t where v > 0.5',
};

export async function benchDeletes({ rows = 10_000_000, hosts = 100, log = () => {} } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-bench-deletes-'));
  try {
    const base = path.join(dir, 'base');
    let db = await Strata.open({ store: base, limits: { compactionIdleMs: 0 } });
    await db.createDataset('t', { columns: parseColumns(schema), partitionKey: ['host'], sortKey: ['ts'] });
    const rand = rng(7);
    const per = 1_000_000;
    for (let first = 0; first < rows; first += per) await db.ingest('t', batchIpc(first, Math.min(per, rows - first), hosts, rand), 'arrow');
    const chunks = (await db.snapshot('t')).chunks.size;
    await db.close();
    const baseBytes = duBytes(base);
    log(`deletes: ${rows} rows in ${chunks} chunks, ${baseBytes} bytes`);
    const trials = [];
    for (const [share, where] of [[0.001, 'n = 7'], [0.3, 'n < 300']]) {
      for (const mechanism of ['mask', 'rewrite']) {
        const store = path.join(dir, `${mechanism}-${share}`);
        cpSync(base, store, { recursive: true });
        db = await Strata.open({ store, limits: { compactionIdleMs: 0 } });
        const before = {};
        for (const [name, sql] of Object.entries(deleteQueries)) before[name] = await medianMs(db, sql, 9);
        const t = performance.now();
        const r = await db.delete('t', where, mechanism === 'rewrite' ? { rewrite: true } : {});
        const deleteMs = performance.now() - t;
        const bytesAdded = duBytes(store) - baseBytes;
        const after = {};
        for (const [name, sql] of Object.entries(deleteQueries)) after[name] = await medianMs(db, sql, 9);
        const counted = (await db.sql('select count(*) from t')).rows[0][0];
        const c = performance.now();
        await db.compact('t');
        const compactMs = performance.now() - c;
        await db.close();
        rmSync(store, { recursive: true, force: true });
        if (counted !== rows - r.rows) throw new Error(`${mechanism} ${where}: ${counted} rows left of ${rows} - ${r.rows}`);
        trials.push({ mechanism, share, where, rowsDeleted: r.rows, chunksTouched: r.chunks, deleteMs, bytesAdded, before, after, compactMs });
        log(`deletes: ${mechanism} ${where}: ${r.rows} rows, ${deleteMs.toFixed(0)} ms, +${bytesAdded} bytes`);
      }
    }
    return { rows, hosts, chunks, baseBytes, trials };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const streamQueries = {
  'group by host': 'select host, count(*), sum(v), max(ts) from s group by host order by host',
  'filtered count': 'select count(*) from s where n < 500',
  'last point': 'select host, max(ts) from s group by host order by host',
};

export async function benchLifecycleStream({ batches = 300, batchRows = 2000, hosts = 20, log = () => {} } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-bench-lifecycle-'));
  try {
    const streamStore = path.join(dir, 'stream');
    const db = await Strata.open({ store: streamStore });
    await db.createDataset('s', { columns: parseColumns(schema), partitionKey: ['host'], sortKey: ['ts'] });
    const rand = rng(11);
    const versionOf = [];
    let deletes = 0; let reverts = 0; let lastDelete = null;
    const t = performance.now();
    for (let b = 0; b < batches; b++) {
      const r = await db.ingest('s', batchIpc(b * batchRows, batchRows, hosts, rand), 'arrow', { writer: 'stream', seq: b + 1 });
      versionOf.push(r.version);
      if ((b + 1) % 10 === 0) {
        lastDelete = (await db.delete('s', `id >= ${(b - 9) * batchRows} and n < 100`, { writer: 'cleanup', seq: b + 1 })).version;
        deletes++;
      }
      if ((b + 1) % 50 === 0) { await db.revert('s', versionOf[b - 25]); reverts++; }
      if ((b + 1) % 100 === 0 && lastDelete !== null) { await db.revert('s', lastDelete); reverts++; }
    }
    const streamMs = performance.now() - t;
    while ((await db.compact('s')).version !== null);
    const beforeVacuum = duBytes(streamStore);
    await db.vacuum('s', { retainMs: 0, graceMs: 0 });
    const afterVacuum = duBytes(streamStore);
    const survivors = (await db.sql('select count(*) from s')).rows[0][0];

    // The same surviving rows, loaded in one batch.
    const oneStore = path.join(dir, 'one');
    const one = await Strata.open({ store: oneStore, limits: { compactionIdleMs: 0 } });
    await one.createDataset('s', { columns: parseColumns(schema), partitionKey: ['host'], sortKey: ['ts'] });
    const rowsOut = (await db.sql('select host, epoch_ms(ts) as ts, id, v, n from s order by id')).rows;
    const cols = { host: [], ts: new BigInt64Array(rowsOut.length), id: new BigInt64Array(rowsOut.length), v: new Float64Array(rowsOut.length), n: new Int32Array(rowsOut.length) };
    rowsOut.forEach((r, i) => { cols.host.push(r[0]); cols.ts[i] = BigInt(r[1]); cols.id[i] = BigInt(r[2]); cols.v[i] = r[3]; cols.n[i] = r[4]; });
    await one.ingest('s', A.tableToIPC(new A.Table({
      host: A.vectorFromArray(cols.host, new A.Utf8()), ts: A.makeVector({ type: new A.TimestampMillisecond(), data: cols.ts }),
      id: A.makeVector({ type: new A.Int64(), data: cols.id }), v: A.makeVector({ type: new A.Float64(), data: cols.v }), n: A.makeVector({ type: new A.Int32(), data: cols.n }),
    }), 'stream'), 'arrow');
    const oneBytes = duBytes(oneStore);
    const queries = {};
    for (const [name, sql] of Object.entries(streamQueries)) {
      const [a, b] = [(await db.sql(sql)).rows, (await one.sql(sql)).rows];
      if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${name}: the stream store and the one-batch store answer differently`);
      queries[name] = await pairedMedianMs(db, one, sql, 31);
    }
    await db.close();
    await one.close();
    log(`lifecycle stream: ${survivors} rows survive; ${beforeVacuum} -> ${afterVacuum} bytes; one batch ${oneBytes}`);
    return { batches, batchRows, hosts, rowsSent: batches * batchRows, deletes, reverts, survivors, streamMs, beforeVacuum, afterVacuum, oneBytes, queries };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const f0 = (n) => Math.round(n).toLocaleString('en-US');
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

export function lifecycleMarkdown(d, s) {
  const rows = d.trials.map((t) => `| ${t.where} (${(t.share * 100).toFixed(1)} %) | ${t.mechanism === 'mask' ? 'deletion vectors' : 'copy-on-write'} | ${f0(t.rowsDeleted)} | ${t.chunksTouched} | ${f0(t.deleteMs)} | ${mb(t.bytesAdded)} | ${Object.keys(deleteQueries).map((q) => `${t.before[q].toFixed(1)} → ${t.after[q].toFixed(1)}`).join(' | ')} | ${f0(t.compactMs)} |`);
  const qs = Object.entries(s.queries).map(([name, q]) => `| ${name} | ${q.stream.toFixed(2)} | ${q.one.toFixed(2)} | ${(q.stream / q.one).toFixed(2)}x |`);
  return [
    '## Deletes: deletion vectors against copy-on-write',
    '',
    `${f0(d.rows)} rows, ${d.hosts} hosts, ${d.chunks} chunks, ${mb(d.baseBytes)} on disk; each trial on a fresh copy of that store.`,
    '',
    `| delete | mechanism | rows deleted | chunks touched | ms | bytes added | ${Object.keys(deleteQueries).map((q) => `${q} ms before → after`).join(' | ')} | full compaction ms |`,
    `|---|---|---:|---:|---:|---:|${Object.keys(deleteQueries).map(() => '---:').join('|')}|---:|`,
    ...rows,
    '',
    '## A stream with deletes and reverts, beside its surviving rows loaded in one batch',
    '',
    `${s.batches} batches of ${f0(s.batchRows)} rows (${f0(s.rowsSent)}), ${s.deletes} deletes, ${s.reverts} reverts, in ${(s.streamMs / 1000).toFixed(1)} s; ${f0(s.survivors)} rows survive.`,
    `Bytes on disk: ${mb(s.beforeVacuum)} after compaction, ${mb(s.afterVacuum)} after a vacuum keeping only the head; the one-batch store ${mb(s.oneBytes)}: **${(s.afterVacuum / s.oneBytes).toFixed(2)}x** (target ≤ 1.2).`,
    '',
    '| query | stream store ms | one-batch store ms | ratio |',
    '|---|---:|---:|---:|',
    ...qs,
    '',
  ].join('\n');
}
