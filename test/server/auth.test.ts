/** Bearer tokens and roles, and the query time limit, over HTTP. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, buildApp } from '../../src/index.js';

const tokens = { read: 'reader-token-0123456789', write: 'writer-token-0123456789', admin: 'admin-token-01234567890' };

describe('HTTP auth and limits', () => {
  let db: Strata;
  let app: FastifyInstance;
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: unknown, contentType = 'application/json') =>
    app.inject({ method, url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload !== undefined ? { 'content-type': contentType } : {}) }, ...(payload !== undefined ? { payload: payload as string } : {}) });

  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:', limits: { queryMsMax: 300 } });
    app = await buildApp(db, { tokens: Object.entries(tokens).map(([role, t]) => `${t}:${role}`).join(',') });
  });
  afterAll(async () => { await app.close(); await db.close(); });

  it('lets /health through and asks for a token everywhere else', async () => {
    expect((await call('GET', '/health')).statusCode).toBe(200);
    for (const [method, url] of [['GET', '/datasets'], ['POST', '/sql'], ['GET', '/datasets/t/versions']] as const) {
      const r = await call(method, url);
      expect([r.statusCode, r.json().error.code], `${method} ${url}`).toEqual([401, 'STRATA_ERR_UNAUTHORIZED']);
    }
    expect((await call('GET', '/datasets', 'not-a-token-at-all-000')).statusCode).toBe(401);
  });

  it('enforces roles: read cannot write, write cannot create, drop or roll back', async () => {
    const create = { name: 't', schema: 'k:string,v:int32' };
    expect((await call('POST', '/datasets', tokens.write, create)).json().error.code).toBe('STRATA_ERR_FORBIDDEN');
    expect((await call('POST', '/datasets', tokens.admin, create)).statusCode).toBe(201);
    const rows = 'k,v\na,1\n';
    expect((await call('POST', '/datasets/t/rows', tokens.read, rows, 'text/csv')).statusCode).toBe(403);
    expect((await call('POST', '/datasets/t/rows', tokens.write, rows, 'text/csv')).json()).toMatchObject({ version: 1 });
    expect((await call('POST', '/sql', tokens.read, { sql: 'select sum(v) as s from t' })).json().rows).toEqual([[1]]);
    expect((await call('GET', '/datasets/t/versions', tokens.read)).statusCode).toBe(200);
    expect((await call('POST', '/datasets/t/rollback', tokens.write, { to: 0 })).statusCode).toBe(403);
    expect((await call('DELETE', '/datasets/t', tokens.write)).statusCode).toBe(403);
    expect((await call('POST', '/datasets/t/tags', tokens.write, { name: 'x' })).statusCode).toBe(403);
    expect((await call('POST', '/datasets/t/tags', tokens.admin, { name: 'x' })).statusCode).toBe(201);
    expect((await call('GET', '/datasets/t/tags', tokens.read)).json()).toEqual([expect.objectContaining({ name: 'x' })]);
    expect((await call('DELETE', '/datasets/t/tags/x', tokens.write)).statusCode).toBe(403);
    expect((await call('DELETE', '/datasets/t/tags/x', tokens.admin)).statusCode).toBe(200);
    expect((await call('POST', '/datasets/t/rollback', tokens.admin, { to: 0 })).statusCode).toBe(200);
    expect((await call('DELETE', '/datasets/t', tokens.admin)).statusCode).toBe(204);
  });

  it('interrupts a query past queryMsMax with 408', async () => {
    const r = await call('POST', '/sql', tokens.read, { sql: 'select count(*) from range(100000000000) a' });
    expect([r.statusCode, r.json().error.code]).toEqual([408, 'STRATA_ERR_QUERY_TIMEOUT']);
  });

  it('reads tokens one per line, as a tokens file holds them', async () => {
    const fileApp = await buildApp(db, { tokens: `# readers\n${tokens.read}:read\n\n${tokens.admin}:admin\n` });
    try {
      expect((await fileApp.inject({ url: '/datasets', headers: { authorization: `Bearer ${tokens.read}` } })).statusCode).toBe(200);
      expect((await fileApp.inject({ url: '/datasets', headers: { authorization: `Bearer ${tokens.write}` } })).statusCode).toBe(401);
    } finally {
      await fileApp.close();
    }
  });

  it('refuses malformed token settings', async () => {
    await expect(buildApp(db, { tokens: 'short:read' })).rejects.toMatchObject({ code: 'STRATA_ERR_INVALID_ARGUMENT' });
    await expect(buildApp(db, { tokens: 'long-enough-token-000000:root' })).rejects.toMatchObject({ code: 'STRATA_ERR_INVALID_ARGUMENT' });
  });
});
