/** The typed client against a real port: exactly-once appends, retries across a server that is not up yet, clear errors. */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, StrataClient, StrataHttpError, buildApp, parseColumns } from '../../src/index.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

describe('StrataClient', () => {
  let db: Strata;
  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:' });
    await db.createDataset('events', { columns: parseColumns('ts:timestamp,host:string,v:float64'), partitionKey: ['host'], sortKey: ['ts'] });
  });
  afterAll(() => db.close());

  it('retries until the server is up, and a re-sent batch is stored once', async () => {
    const port = await freePort();
    const client = new StrataClient({ url: `http://127.0.0.1:${port}`, backoffMs: 50, attemptsMax: 30 });
    const rows = [{ ts: '2026-11-26T10:00:00Z', host: 'a', v: 1.5 }, { ts: '2026-11-26T10:00:10Z', host: 'b', v: 2 }];
    // The append starts while nothing listens; the server comes up a moment later.
    const pending = client.append('events', rows, { writer: 'agent-1', seq: 1 });
    await new Promise((r) => setTimeout(r, 300));
    const app = await buildApp(db);
    await app.listen({ host: '127.0.0.1', port });
    try {
      expect(await pending).toEqual({ version: 1, rows: 2, duplicate: false });
      expect(await client.append('events', rows, { writer: 'agent-1', seq: 1 })).toEqual({ version: 1, rows: 2, duplicate: true });
      expect((await client.sql('select count(*) as n, sum(v) as s from events')).rows).toEqual([[2, 3.5]]);
      const refused = await client.append('events', [{ ts: 'soon', host: 'a', v: 1 }], { writer: 'agent-1', seq: 2 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(StrataHttpError);
      expect(refused).toMatchObject({ status: 400, code: 'STRATA_ERR_BAD_ROW' });
    } finally {
      await app.close();
    }
  });
});
