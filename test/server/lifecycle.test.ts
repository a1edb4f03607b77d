/** Delete and revert over HTTP: roles, idempotent deletes by header, answers and refusals as a client sees them. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, buildApp } from '../../src/index.js';

const tokens = { read: 'reader-token-0123456789', write: 'writer-token-0123456789', admin: 'admin-token-01234567890' };

describe('HTTP delete and revert', () => {
  let db: Strata;
  let app: FastifyInstance;
  const call = (url: string, token: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': typeof payload === 'string' ? 'text/csv' : 'application/json', ...headers }, payload: payload as string });
  const count = async (): Promise<unknown> => (await call('/sql', tokens.read, { sql: 'select count(*) from t' })).json().rows[0][0];

  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:' });
    app = await buildApp(db, { tokens: Object.entries(tokens).map(([role, t]) => `${t}:${role}`).join(',') });
    expect((await call('/datasets', tokens.admin, { name: 't', schema: 'k:string,v:int32', partitionKey: 'k' })).statusCode).toBe(201);
    expect((await call('/datasets/t/rows', tokens.write, 'k,v\na,1\na,2\nb,3\nb,4\n')).json()).toMatchObject({ version: 1 });
  });
  afterAll(async () => { await app.close(); await db.close(); });

  it('deletes with role write, idempotently with Strata-Writer and Strata-Seq', async () => {
    expect((await call('/datasets/t/delete', tokens.read, { where: 'v = 1' })).statusCode).toBe(403);
    const first = await call('/datasets/t/delete', tokens.write, { where: 'v = 1' }, { 'strata-writer': 'ops', 'strata-seq': '1' });
    expect([first.statusCode, first.json()]).toEqual([200, { version: 2, rows: 1, duplicate: false, chunks: 1 }]);
    const again = await call('/datasets/t/delete', tokens.write, { where: 'v = 1' }, { 'strata-writer': 'ops', 'strata-seq': '1' });
    expect(again.json()).toEqual({ version: 2, rows: 1, duplicate: true, chunks: 0 });
    expect((await call('/datasets/t/delete', tokens.write, { where: 'v > 2' }, { 'strata-writer': 'ops', 'strata-seq': '1' })).json().error.code).toBe('STRATA_ERR_SEQ_CONFLICT');
    expect(await count()).toBe(3);
    const bad = await call('/datasets/t/delete', tokens.write, { where: 'w = 1' });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'STRATA_ERR_INVALID_PREDICATE']);
    expect(bad.json().error.message).toContain('k, v');
    expect((await call('/datasets/t/delete', tokens.write, { rows: 'v = 1' })).statusCode).toBe(400);
    expect((await call('/datasets/nope/delete', tokens.write, { where: 'true' })).statusCode).toBe(404);
  });

  it('reverts with role admin, and says what it withdrew', async () => {
    expect((await call('/datasets/t/revert', tokens.write, { version: 2 })).statusCode).toBe(403);
    const r = await call('/datasets/t/revert', tokens.admin, { version: 2 });
    expect([r.statusCode, r.json()]).toEqual([200, { version: 3, revertOf: 2, rowsAdded: 1, rowsRemoved: 0, off: [2], on: [] }]);
    expect(await count()).toBe(4);
    // The delete's seq is withdrawn with it: its retry is refused, not applied again.
    const retry = await call('/datasets/t/delete', tokens.write, { where: 'v = 1' }, { 'strata-writer': 'ops', 'strata-seq': '1' });
    expect([retry.statusCode, retry.json().error.code]).toEqual([409, 'STRATA_ERR_SEQ_REVERTED']);
    const twice = await call('/datasets/t/revert', tokens.admin, { version: 2 });
    expect([twice.statusCode, twice.json().error.code]).toEqual([409, 'STRATA_ERR_NOTHING_TO_REVERT']);
    expect((await call('/datasets/t/revert', tokens.admin, { version: 99 })).statusCode).toBe(404);
    expect((await call('/datasets/t/revert', tokens.admin, { version: 'x' })).statusCode).toBe(400);
    expect(await count()).toBe(4);
  });
});
