/**
 * A running server against hostile and broken clients, over a real port:
 * Arrow headers that lie, uploads that stop or vanish, queries that would run
 * for ever or eat the machine, readers that never read, empty and cut-off
 * batches, feeds by the thousand. After each, the server answers /health,
 * and nothing was written that should not have been.
 */
import { connect } from 'node:net';
import * as A from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, buildApp, parseColumns } from '../../src/index.js';
import type { Limits } from '../../src/index.js';
import { batchMessage, concat, endOfStream, honestStream, schemaMessage } from '../helpers/arrow-forge.js';

const arrowType = 'application/vnd.apache.arrow.stream';

async function serve(limits: Partial<Limits> = {}): Promise<{ db: Strata; app: FastifyInstance; base: string; close: () => Promise<void> }> {
  const db = await Strata.open({ store: 'memory:', limits });
  await db.createDataset('t', { columns: parseColumns('k:string,v:float64'), partitionKey: ['k'] });
  await db.createDataset('s', { columns: parseColumns('s:string') });
  const app = await buildApp(db);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  // fetch may leave connections that never sent a request; the server would wait headersTimeout for them.
  return { db, app, base, close: async () => { app.server.closeAllConnections(); await app.close(); await db.close(); } };
}

async function post(base: string, path: string, body: Uint8Array | string, type: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type, ...headers }, body });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

const sql = async (base: string, q: string): Promise<{ status: number; json: any }> => post(base, '/sql', JSON.stringify({ sql: q }), 'application/json');

/** /health answers within `ms`. */
async function healthy(base: string, ms = 1000): Promise<boolean> {
  const r = await fetch(`${base}/health`, { signal: AbortSignal.timeout(ms) }).catch(() => null);
  return r?.status === 200;
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('hostile Arrow bodies', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => { s = await serve(); });
  afterAll(async () => { await s.close(); });

  it('refuses lying metadata without allocating for it, and writes nothing', async () => {
    const rss = process.memoryUsage().rss;
    const lies: [string, Uint8Array][] = [
      ['a schema claiming 0x7ffffff0 fields', concat(schemaMessage(['v'], 0x7ffffff0), endOfStream)],
      ['a batch claiming 50 M rows over 8 bytes', concat(schemaMessage(['v']), batchMessage(50_000_000, [{ offset: 0, length: 0 }, { offset: 0, length: 8 }], new Uint8Array(8)), endOfStream)],
      ['a buffer beyond the body', concat(schemaMessage(['v']), batchMessage(2, [{ offset: 0, length: 0 }, { offset: 8, length: 1 << 30 }], new Uint8Array(16)), endOfStream)],
      ['more field nodes than fields', concat(schemaMessage(['v']), batchMessage(1, [{ offset: 0, length: 0 }, { offset: 0, length: 8 }, { offset: 0, length: 0 }, { offset: 0, length: 8 }], new Uint8Array(8)), endOfStream)],
      ['a stream cut at a batch boundary', concat(schemaMessage(['v']), batchMessage(1, [{ offset: 0, length: 0 }, { offset: 0, length: 8 }], new Uint8Array(8)))],
      ['bytes after the end-of-stream marker', concat(honestStream('v', [1]), new Uint8Array(8))],
      ['no body at all', new Uint8Array(0)],
    ];
    for (const [what, body] of lies) {
      const r = await post(s.base, '/datasets/t/rows', body, arrowType);
      expect(r.status, what).toBe(400);
      expect(r.json.error.code, what).toMatch(/^STRATA_ERR_(BAD_FORMAT|LIMIT_EXCEEDED)$/);
      expect(await healthy(s.base), what).toBe(true);
    }
    // Nothing stored, and no gigabytes taken on the way.
    expect(await s.db.headVersion('t')).toBe(0);
    expect(process.memoryUsage().rss - rss).toBeLessThan(512 * 1024 * 1024);
    // The honest stream the forger makes is one any Arrow reader reads, and Strata stores.
    expect(A.tableFromIPC(honestStream('v', [1, 2])).numRows).toBe(2);
    expect((await post(s.base, '/datasets/t/rows', honestStream('v', [1, 2]), arrowType)).json).toMatchObject({ version: 1, rows: 2 });
  });

  it('answers a uint64 value out of int64 range with a coded error', async () => {
    await s.db.createDataset('u', { columns: parseColumns('n:int64') });
    const table = new A.Table({ n: A.vectorFromArray([2n ** 64n - 1n], new A.Uint64()) });
    const r = await post(s.base, '/datasets/u/rows', A.tableToIPC(table, 'stream'), arrowType);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'STRATA_ERR_BAD_ROW', column: 'n', row: 1, value: '18446744073709551615' });
  });
});

describe('uploads that stop or vanish', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => { s = await serve({ uploadIdleMsMax: 400 }); });
  afterAll(async () => { await s.close(); });

  /** Sends headers and a few bytes of a longer body, then drops the connection, or waits for what the server says. */
  function partialUpload(type: string, drop: boolean): Promise<string> {
    const { port } = new URL(s.base);
    return new Promise((resolve) => {
      let answer = '';
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /datasets/t/rows HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: 100\r\n\r\n{"k":"a",`);
        if (drop) setTimeout(() => { socket.destroy(); resolve(''); }, 20);
      });
      socket.on('data', (d: Buffer) => { answer += d.toString(); if (answer.includes('\r\n\r\n{')) { socket.destroy(); resolve(answer); } });
      socket.on('close', () => resolve(answer));
      socket.on('error', () => resolve(answer));
    });
  }

  it('frees the slot of every upload that is dropped, in every format', async () => {
    for (let i = 0; i < 80; i++) await partialUpload(['application/x-ndjson', arrowType, 'text/csv'][i % 3]!, true);
    for (let i = 0; i < 50 && (await metric(s.base, 'strata_ingest_queue_depth')) !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await metric(s.base, 'strata_ingest_queue_depth')).toBe(0);
    expect((await post(s.base, '/datasets/t/rows', 'k,v\na,1\n', 'text/csv')).status).toBe(200);
  });

  it('drops uploads that stall, so stalled clients cannot hold the queue', async () => {
    const stalled = Array.from({ length: 20 }, () => partialUpload('application/x-ndjson', false));
    await new Promise((r) => setTimeout(r, 100));
    expect(await metric(s.base, 'strata_ingest_queue_depth')).toBeGreaterThan(0);
    // Each is answered after uploadIdleMsMax: dropped (408) once admitted, refused (429) while waiting.
    const answers = await Promise.all(stalled);
    for (const a of answers) expect(a).toMatch(/^HTTP\/1.1 (408|429)/);
    expect(answers.some((a) => a.startsWith('HTTP/1.1 408'))).toBe(true);
    expect(await metric(s.base, 'strata_ingest_queue_depth')).toBe(0);
    expect((await post(s.base, '/datasets/t/rows', 'k,v\nb,2\n', 'text/csv')).status).toBe(200);
  });
});

describe('empty, cut-off and odd batches', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => { s = await serve(); });
  afterAll(async () => { await s.close(); });

  it('refuses empty batches in every format without making a version or using the seq', async () => {
    const empties: [string, string | Uint8Array][] = [['application/x-ndjson', ''], ['application/x-ndjson', '\n\n'], ['text/csv', 'k,v\n'], [arrowType, A.tableToIPC(new A.Table({ v: A.vectorFromArray([] as number[], new A.Float64()) }), 'stream')]];
    for (const [type, body] of empties) {
      const r = await post(s.base, '/datasets/t/rows', body, type, { 'strata-writer': 'w', 'strata-seq': '1' });
      expect(r.status, type).toBe(400);
      expect(r.json.error.code, type).toBe('STRATA_ERR_EMPTY_BATCH');
    }
    expect(await s.db.headVersion('t')).toBe(0);
    // The seq was not used: the same seq with rows is a new batch.
    expect((await post(s.base, '/datasets/t/rows', 'k,v\na,1\n', 'text/csv', { 'strata-writer': 'w', 'strata-seq': '1' })).json).toEqual({ version: 1, rows: 1, duplicate: false });
  });

  it('stores batches whose values are all NULL', async () => {
    expect((await post(s.base, '/datasets/s/rows', '{"s":null}\n{}\n', 'application/x-ndjson')).json).toMatchObject({ version: 1, rows: 2 });
    expect((await post(s.base, '/datasets/s/rows', 's\n\n', 'text/csv')).json).toMatchObject({ version: 2, rows: 1 });
    expect((await sql(s.base, 'select count(*), count(s) from s')).json.rows).toEqual([[3, 0]]);
  });

  it('reads CSV as strictly as NDJSON', async () => {
    const bad: [string, string, string][] = [
      ['text/csv', 'k,v\na,1e400\n', '1e400'], ['application/x-ndjson', '{"k":"a","v":1e400}\n', 'Infinity'],
    ];
    for (const [type, body, value] of bad) {
      const r = await post(s.base, '/datasets/t/rows', body, type);
      expect(r.json.error, type).toMatchObject({ code: 'STRATA_ERR_BAD_ROW', column: 'v', value });
    }
    const invalidUtf8 = new Uint8Array([...Buffer.from('k,v\n'), 0xff, 0xfe, ...Buffer.from(',1\n')]);
    expect((await post(s.base, '/datasets/t/rows', invalidUtf8, 'text/csv')).json.error.code).toBe('STRATA_ERR_BAD_FORMAT');
    expect((await post(s.base, '/datasets/t/rows', invalidUtf8, 'application/x-ndjson')).json.error.code).toBe('STRATA_ERR_BAD_FORMAT');
    await s.db.createDataset('ts', { columns: parseColumns('t:timestamp') });
    for (const [type, body] of [['text/csv', 't\n2026-01-01T00:00:00+99:99\n'], ['application/x-ndjson', '{"t":"2026-01-01T00:00:00+99:99"}\n']] as const) {
      expect((await post(s.base, '/datasets/ts/rows', body, type)).json.error, type).toMatchObject({ code: 'STRATA_ERR_BAD_ROW', column: 't' });
    }
  });

  it('reads one long NDJSON line', async () => {
    const long = 'x'.repeat(20 * 1024 * 1024);
    const body = `{"s":"${long}"}\n`;
    expect((await post(s.base, '/datasets/s/rows', body, 'application/x-ndjson')).json).toMatchObject({ rows: 1 });
  });
});

describe('queries that would run for ever or eat the machine', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => { s = await serve({ queryMsMax: 1500, duckdbMemoryBytesMax: 512 * 1024 * 1024, queryDatasetRefsMax: 16 }); });
  afterAll(async () => { await s.close(); });

  it('answers 408 at queryMsMax even when DuckDB cannot stop the call', async () => {
    // A long repeat() or range() call cannot be interrupted midway (each runs a few seconds here); the filtered count can.
    for (const q of ["select length(repeat('ab', 600000000))", 'select length(range(25000000))', 'select count(*) from range(10000000000) t(x) where x % 7 = 3']) {
      const t0 = Date.now();
      const r = await sql(s.base, q);
      const took = Date.now() - t0;
      expect([r.status, r.json.error?.code], q).toEqual([expect.any(Number), expect.stringMatching(/^STRATA_ERR_(QUERY_TIMEOUT|LIMIT_EXCEEDED)$/)]);
      expect(took, q).toBeLessThan(1500 + 1500);
      expect(await healthy(s.base), q).toBe(true);
    }
  });

  it('bounds the dataset references of one query', async () => {
    const union = Array.from({ length: 17 }, () => 'select k from t').join(' union all ');
    expect((await sql(s.base, union)).json.error).toMatchObject({ code: 'STRATA_ERR_LIMIT_EXCEEDED', limit: 'queryDatasetRefsMax' });
  });

  it('streams large answers to readers that never read, and stays responsive', async () => {
    const readers = Array.from({ length: 10 }, () => new AbortController());
    const responses = await Promise.all(readers.map((c) => fetch(`${s.base}/sql`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' }, body: JSON.stringify({ sql: 'select * from range(500000) t(x)' }), signal: c.signal,
    })));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await healthy(s.base)).toBe(true);
    for (const c of readers) c.abort();
    // A reader that does read gets every row.
    const r = await fetch(`${s.base}/sql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/csv' }, body: JSON.stringify({ sql: 'select * from range(300000) t(x)' }) });
    expect((await r.text()).trimEnd().split('\n')).toHaveLength(300001);
  });
});

describe('queries that need more memory than DuckDB may have', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => { s = await serve({ duckdbMemoryBytesMax: 512 * 1024 * 1024 }); });
  afterAll(async () => { await s.close(); });

  it('fails them with the limit named, and nothing spills to disk', async () => {
    for (const q of ['select list(x) from range(200000000) t(x)', "select string_agg(x::varchar, ',') from range(100000000) t(x)"]) {
      const r = await sql(s.base, q);
      expect(r.json.error, q).toMatchObject({ code: 'STRATA_ERR_LIMIT_EXCEEDED', limit: 'duckdbMemoryBytesMax' });
    }
    expect((await sql(s.base, "select current_setting('temp_directory') as d")).json.rows).toEqual([['']]);
  });
});

describe('SQL odds and ends', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await serve();
    await post(s.base, '/datasets/t/rows', 'k,v\na,1\nb,2\n', 'text/csv');
  });
  afterAll(async () => { await s.close(); });

  it('describes, summarizes and shows datasets', async () => {
    expect((await sql(s.base, 'describe t')).json.rows.map((r: unknown[]) => r.slice(0, 2))).toEqual([['k', 'VARCHAR'], ['v', 'DOUBLE']]);
    expect((await sql(s.base, 'show t')).json.rows).toHaveLength(2);
    expect((await sql(s.base, 'summarize t')).json.rows.map((r: unknown[]) => r[0])).toEqual(['k', 'v']);
  });

  it('speaks of datasets in errors, never of its scan function', async () => {
    const r = await sql(s.base, 'select nope from t');
    expect(r.json.error.code).toBe('STRATA_ERR_SQL_EXECUTION');
    expect(r.json.error.message).not.toMatch(/strata_scan|[0-9a-f]{24}/);
    expect((await sql(s.base, 'select * from weather')).json.error).toMatchObject({ code: 'STRATA_ERR_DATASET_NOT_FOUND', message: expect.stringMatching(/datasets: s, t/) });
  });

  it('refuses AT NULL', async () => {
    for (const q of ['select * from t AT (VERSION => NULL)', 'select * from t AT (TIMESTAMP => NULL)']) {
      expect((await sql(s.base, q)).json.error.code, q).toBe('STRATA_ERR_INVALID_ARGUMENT');
    }
  });

  it('tells /health nothing about the deployment but which kernels run, and names process metrics once', async () => {
    // No version, path, store or host: only whether the native or the TypeScript kernels answer.
    expect(await (await fetch(`${s.base}/health`)).json()).toEqual({ status: 'ok', kernels: expect.stringMatching(/^(native|typescript)$/) });
    const metrics = await (await fetch(`${s.base}/metrics`)).text();
    expect(metrics).toMatch(/^strata_process_cpu_user_seconds_total /m);
    expect(metrics).not.toMatch(/strata_process_process_/);
  });

  it('bounds request bodies and names the limit', async () => {
    const r = await post(s.base, '/sql', JSON.stringify({ sql: `select '${'x'.repeat(2 * 1024 * 1024)}'` }), 'application/json');
    expect(r.status).toBe(413);
    expect(r.json.error).toMatchObject({ code: 'STRATA_ERR_LIMIT_EXCEEDED', limit: 'requestBodyBytesMax' });
  });
});

describe('change feeds', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => { s = await serve({ changeFeedsMax: 50 }); });
  afterAll(async () => { await s.close(); });

  it('sends headers at once, caps open feeds, and wakes idle feeds when a version commits', async () => {
    const controllers = Array.from({ length: 50 }, () => new AbortController());
    const feeds = await Promise.all(controllers.map((c) => fetch(`${s.base}/datasets/t/changes`, { signal: c.signal })));
    expect(feeds.map((f) => f.status)).toEqual(Array(50).fill(200));
    const over = await fetch(`${s.base}/datasets/t/changes`);
    expect(over.status).toBe(429);
    expect(((await over.json()) as { error: unknown }).error).toMatchObject({ code: 'STRATA_ERR_OVERLOADED', limit: 'changeFeedsMax' });
    await post(s.base, '/datasets/t/rows', 'k,v\na,1\n', 'text/csv');
    const reader = feeds[0]!.body!.getReader();
    let text = '';
    while (!text.includes('event: version')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/id: 1\nevent: version/);
    for (const c of controllers) c.abort();
  });
});
