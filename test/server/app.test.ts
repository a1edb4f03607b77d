/** The HTTP API through inject() and through a real listening port: every route, every status. */
import { kernelStatus } from '../../src/kernels/index.js';
import * as A from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, buildApp } from '../../src/index.js';

describe('HTTP API', () => {
  let db: Strata;
  let app: FastifyInstance;
  const csv = (text: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/datasets/t/rows', headers: { 'content-type': 'text/csv', ...headers }, payload: text });

  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:', limits: { batchBytesMax: 10_000 } });
    app = await buildApp(db);
  });
  afterAll(async () => { await app.close(); await db.close(); });

  it('answers /health', async () => {
    const r = await app.inject({ url: '/health' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok', kernels: kernelStatus().active });
    expect(kernelStatus().active).toBe(process.env.STRATA_NATIVE === '0' || process.env.STRATA_KERNELS === 'typescript' ? 'typescript' : 'native');
  });

  it('creates, lists and describes datasets, with clear refusals', async () => {
    const made = await app.inject({ method: 'POST', url: '/datasets', payload: { name: 't', schema: 'k:string,ts:timestamp,v:int32', partitionKey: 'k', sortKey: ['ts'] } });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ name: 't', version: 0, rows: 0 });
    expect((await app.inject({ method: 'POST', url: '/datasets', payload: { name: 't', schema: 'a:int32' } })).json()).toMatchObject({ error: { code: 'STRATA_ERR_DATASET_EXISTS' } });
    const bad = await app.inject({ method: 'POST', url: '/datasets', payload: { name: '../x', schema: 'a:int32' } });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'STRATA_ERR_INVALID_NAME']);
    expect((await app.inject({ method: 'POST', url: '/datasets', payload: { name: 'u', schema: 'a:decimal' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/datasets', payload: { schema: 'a:int32' } })).json()).toMatchObject({ error: { code: 'STRATA_ERR_INVALID_ARGUMENT' } });
    expect((await app.inject({ url: '/datasets' })).json()).toEqual([{ name: 't', version: 0, rows: 0, chunks: 0, bytes: 0 }]);
    expect((await app.inject({ url: '/datasets/t' })).json()).toMatchObject({ schema: { partitionKey: ['k'], sortKey: ['ts'] } });
    const missing = await app.inject({ url: '/datasets/nope' });
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'STRATA_ERR_DATASET_NOT_FOUND']);
  });

  it('ingests CSV, NDJSON and Arrow exactly once per (writer, seq)', async () => {
    const first = await csv('k,ts,v\na,2026-01-01,1\nb,2026-01-02,2\n', { 'strata-writer': 'w', 'strata-seq': '1' });
    expect([first.statusCode, first.json()]).toEqual([200, { version: 1, rows: 2, duplicate: false }]);
    const retry = await csv('k,ts,v\na,2026-01-01,1\nb,2026-01-02,2\n', { 'strata-writer': 'w', 'strata-seq': '1' });
    expect(retry.json()).toEqual({ version: 1, rows: 2, duplicate: true });
    const conflict = await csv('k,ts,v\na,2026-01-01,5\n', { 'strata-writer': 'w', 'strata-seq': '1' });
    expect([conflict.statusCode, conflict.json().error.code]).toEqual([409, 'STRATA_ERR_SEQ_CONFLICT']);
    const nd = await app.inject({ method: 'POST', url: '/datasets/t/rows', headers: { 'content-type': 'application/x-ndjson; charset=utf-8' }, payload: '{"k":"c","ts":"2026-01-03","v":3}\n' });
    expect(nd.json()).toMatchObject({ version: 2, rows: 1 });
    const arrow = A.tableToIPC(new A.Table({ k: A.vectorFromArray(['d']), v: A.makeVector(Int32Array.from([4])) }), 'stream');
    const ar = await app.inject({ method: 'POST', url: '/datasets/t/rows', headers: { 'content-type': 'application/vnd.apache.arrow.stream' }, payload: Buffer.from(arrow) });
    expect(ar.json()).toMatchObject({ version: 3, rows: 1 });
  });

  it('refuses bad rows (400, naming line and column), big bodies (413), unknown types (415) and bad headers', async () => {
    const bad = await csv('k,ts,v\na,2026-01-01,1\nb,2026-01-02,x\n');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'STRATA_ERR_BAD_ROW', line: 3, column: 'v' });
    const big = await csv(`k,ts,v\n${'a,2026-01-01,1\n'.repeat(2000)}`);
    expect([big.statusCode, big.json().error.code]).toEqual([413, 'STRATA_ERR_LIMIT_EXCEEDED']);
    const type = await app.inject({ method: 'POST', url: '/datasets/t/rows', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expect([type.statusCode, type.json().error.code]).toEqual([415, 'STRATA_ERR_UNSUPPORTED_MEDIA_TYPE']);
    const seq = await csv('k,ts,v\na,2026-01-01,1\n', { 'strata-writer': 'w', 'strata-seq': 'two' });
    expect([seq.statusCode, seq.json().error.code]).toEqual([400, 'STRATA_ERR_INVALID_ARGUMENT']);
    expect((await app.inject({ url: '/datasets/t/versions' })).json()).toHaveLength(4);
  });

  it('runs SQL as JSON, NDJSON and CSV, and refuses what is not a read-only SELECT', async () => {
    const sql = { sql: 'select k, v from t order by k' };
    expect((await app.inject({ method: 'POST', url: '/sql', payload: sql })).json()).toEqual({
      columns: [{ name: 'k', type: 'VARCHAR' }, { name: 'v', type: 'INTEGER' }], rows: [['a', 1], ['b', 2], ['c', 3], ['d', 4]],
    });
    const nd = await app.inject({ method: 'POST', url: '/sql', headers: { accept: 'application/x-ndjson' }, payload: sql });
    expect(nd.headers['content-type']).toMatch(/application\/x-ndjson/);
    expect(nd.body.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'c', v: 3 }, { k: 'd', v: 4 }]);
    const c = await app.inject({ method: 'POST', url: '/sql', headers: { accept: 'text/csv' }, payload: sql });
    expect(c.body).toBe('k,v\na,1\nb,2\nc,3\nd,4\n');
    const ar = await app.inject({ method: 'POST', url: '/sql', headers: { accept: 'application/vnd.apache.arrow.stream' }, payload: { sql: 'select k, v, ts, v * 1.5 as d from t order by k' } });
    const table = A.tableFromIPC(ar.rawPayload);
    expect(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['k:Utf8', 'v:Int32', 'ts:Timestamp<MICROSECOND>', 'd:Float64']);
    expect(table.toArray().map((r) => [r.k, r.v, r.d])).toEqual([['a', 1, 1.5], ['b', 2, 3], ['c', 3, 4.5], ['d', 4, 6]]);
    expect(table.getChild('ts')!.get(0)).toBe(Date.UTC(2026, 0, 1));
    const escapes = ["select * from read_csv('/etc/passwd')", "select * from read_parquet('/etc/passwd')", "copy t to '/tmp/x.csv'", "attach '/tmp/x.db' as x",
      'install httpfs', 'load httpfs', 'set threads = 1', 'pragma database_list', 'call pragma_version()', "export database '/tmp/x'", 'drop table t'];
    for (const q of escapes) {
      const r = await app.inject({ method: 'POST', url: '/sql', payload: { sql: q } });
      expect(r.statusCode, q).toBe(400);
      expect(r.json().error.code, q).toMatch(/STRATA_ERR_SQL_(READ_ONLY|EXECUTION)/);
    }
    expect((await app.inject({ method: 'POST', url: '/sql', payload: {} })).statusCode).toBe(400);
  });

  it('tags versions, lists, queries and removes tags', async () => {
    const made = await app.inject({ method: 'POST', url: '/datasets/t/tags', payload: { name: 'first', version: 1 } });
    expect([made.statusCode, made.json()]).toEqual([201, expect.objectContaining({ name: 'first', version: 1 })]);
    const moved = await app.inject({ method: 'POST', url: '/datasets/t/tags', payload: { name: 'first', version: 2 } });
    expect([moved.statusCode, moved.json().error.code]).toEqual([409, 'STRATA_ERR_TAG_EXISTS']);
    expect((await app.inject({ method: 'POST', url: '/datasets/t/tags', payload: { name: 'no spaces' } })).statusCode).toBe(400);
    expect((await app.inject({ url: '/datasets/t/tags' })).json()).toEqual([expect.objectContaining({ name: 'first', version: 1 })]);
    const byTag = await app.inject({ method: 'POST', url: '/sql', payload: { sql: "select count(*) as n from t AT (VERSION => 'first')" } });
    const byNumber = await app.inject({ method: 'POST', url: '/sql', payload: { sql: 'select count(*) as n from t AT (VERSION => 1)' } });
    expect(byTag.json().rows).toEqual(byNumber.json().rows);
    expect((await app.inject({ url: '/datasets/t/versions' })).json().find((v: { version: number }) => v.version === 1).tags).toEqual(['first']);
    expect((await app.inject({ method: 'DELETE', url: '/datasets/t/tags/first' })).json()).toMatchObject({ name: 'first', version: 1 });
    const gone = await app.inject({ method: 'POST', url: '/sql', payload: { sql: "select count(*) from t AT (VERSION => 'first')" } });
    expect([gone.statusCode, gone.json().error.code]).toEqual([404, 'STRATA_ERR_TAG_NOT_FOUND']);
    expect((await app.inject({ method: 'DELETE', url: '/datasets/t/tags/first' })).statusCode).toBe(404);
  });

  it('rolls back and drops', async () => {
    const r = await app.inject({ method: 'POST', url: '/datasets/t/rollback', payload: { to: 1 } });
    expect(r.json()).toEqual({ version: 4, rollbackTo: 1 });
    expect((await app.inject({ method: 'POST', url: '/sql', payload: { sql: 'select count(*) as n from t' } })).json().rows).toEqual([[2]]);
    expect((await app.inject({ method: 'POST', url: '/datasets/t/rollback', payload: { to: 99 } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/datasets/t' })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: '/datasets/t' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/no/such/route' })).json()).toMatchObject({ error: { code: 'STRATA_ERR_NOT_FOUND' } });
  });

  it('serves a real port', async () => {
    const served = await buildApp(db);
    const address = await served.listen({ host: '127.0.0.1', port: 0 });
    try {
      const r = await fetch(`${address}/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'select 6 * 7 as answer' }) });
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ columns: [{ name: 'answer', type: 'INTEGER' }], rows: [[42]] });
    } finally {
      await served.close();
    }
  });

  it('exposes Prometheus metrics of what it did', async () => {
    const r = await app.inject({ url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/plain/);
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(r.body)?.[1]);
    // Earlier cases: three committed appends (4 rows), one duplicate, and refused batches.
    expect(value('strata_commits_total')).toBe(3);
    expect(value('strata_rows_ingested_total')).toBe(4);
    expect(value('strata_duplicates_total')).toBe(1);
    expect(r.body).toMatch(/strata_rejected_batches_total\{code="STRATA_ERR_BAD_ROW"\} 1/);
    expect(r.body).toMatch(/strata_query_seconds_count\{path="duckdb-scan"\} \d+/);
    expect(r.body).toMatch(/strata_chunk_cache_hit_ratio /);
    expect(value('strata_bytes_ingested_total')).toBeGreaterThan(0);
    expect(r.body).toMatch(/strata_scan_workers_busy 0/);
    expect(r.body).toMatch(/strata_ingest_queue_depth 0/);
  });

  it('publishes an OpenAPI document generated from the routes', async () => {
    const doc = (await app.inject({ url: '/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(['/datasets', '/datasets/{name}', '/datasets/{name}/changes', '/datasets/{name}/compact', '/datasets/{name}/delete', '/datasets/{name}/readers', '/datasets/{name}/readers/{reader}', '/datasets/{name}/readers/{reader}/ack', '/datasets/{name}/retention', '/datasets/{name}/revert', '/datasets/{name}/rollback', '/datasets/{name}/rows', '/datasets/{name}/tags', '/datasets/{name}/tags/{tag}', '/datasets/{name}/vacuum', '/datasets/{name}/versions', '/datasets/{name}/writers/{writer}', '/health', '/metrics', '/sql']);
    expect(doc.paths['/sql'].post.requestBody.content['application/json'].schema.required).toEqual(['sql']);
  });
});
