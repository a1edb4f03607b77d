/** What the console relies on from the server: its files, the token's role, and the plan with an answer. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, buildApp } from '../../src/index.js';

const dist = path.resolve('dist/console');
const admin = 'admin-token-0123456789abcdef';
const reader = 'read-token-0123456789abcdef';

describe('console routes', () => {
  let db: Strata;
  let app: FastifyInstance;
  let open: FastifyInstance;
  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:' });
    await db.createDataset('t', { columns: [{ name: 'k', type: 'string' }, { name: 'v', type: 'int64' }], partitionKey: ['k'] });
    await db.ingest('t', 'k,v\na,1\n', 'csv');
    await db.ingest('t', 'k,v\nb,2\nb,3\n', 'csv');
    app = await buildApp(db, { tokens: `${admin}:admin,${reader}:read` });
    open = await buildApp(db, { tokens: '' });
  });
  afterAll(async () => { await app.close(); await open.close(); await db.close(); });

  it('serves the page without a token, under a policy that loads nothing from elsewhere', async () => {
    const r = await app.inject({ url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    expect(r.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(r.body).toBe(readFileSync(path.join(dist, 'index.html'), 'utf8'));
    expect(r.body).toContain('src="/console/app.js"');
  });

  it('serves the bundle gzipped to clients that take it, revalidated by ETag', async () => {
    const plain = await app.inject({ url: '/console/app.js' });
    expect(plain.statusCode, plain.body.slice(0, 200)).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.rawPayload.equals(readFileSync(path.join(dist, 'app.js')))).toBe(true);
    const gz = await app.inject({ url: '/console/app.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
    expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);
    const again = await app.inject({ url: '/console/app.js', headers: { 'if-none-match': String(plain.headers.etag) } });
    expect(again.statusCode).toBe(304);
    for (const url of ['/console/nope.js', '/console/..%2Fpackage.json', '/console/manifest.txt']) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBe(404);
      expect(r.json().error.code).toBe('STRATA_ERR_NOT_FOUND');
    }
  });

  it('says what a token may do', async () => {
    expect((await app.inject({ url: '/whoami' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/whoami', headers: { authorization: `Bearer ${reader}` } })).json()).toEqual({ auth: true, role: 'read' });
    expect((await app.inject({ url: '/whoami', headers: { authorization: `Bearer ${admin}` } })).json()).toEqual({ auth: true, role: 'admin' });
    expect((await open.inject({ url: '/whoami' })).json()).toEqual({ auth: false, role: 'admin' });
  });

  it('ends a JSON answer with the plan when asked, and only then', async () => {
    const sql = "select k, sum(v) as s from t where k = 'b' group by k";
    const asked = (await open.inject({ method: 'POST', url: '/sql', payload: { sql, explain: true } })).json();
    expect(asked.rows).toEqual([['b', 5]]);
    expect(asked.explain.path).toMatch(/^(engine|duckdb)/);
    expect(asked.explain.scans[0]).toMatchObject({ dataset: 't', version: 2, chunks: 2, chunksRead: 1, rowsRead: 2, rowsSelected: 2 });
    expect(asked.explain.scans[0].prunedByPartition + asked.explain.scans[0].prunedByStats).toBe(1);
    const plain = (await open.inject({ method: 'POST', url: '/sql', payload: { sql } })).json();
    expect(plain).toEqual({ columns: asked.columns, rows: asked.rows });
    const csv = await open.inject({ method: 'POST', url: '/sql', headers: { accept: 'text/csv' }, payload: { sql, explain: true } });
    expect(csv.body).toBe('k,s\nb,5\n');
  });
});
