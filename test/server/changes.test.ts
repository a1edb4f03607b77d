/** The change feed over a real port with a real HTTP client: events, resume with Last-Event-ID, rollbacks, continuous queries. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, buildApp, parseColumns } from '../../src/index.js';

interface Event { id?: string; event?: string; data: Record<string, unknown> }

/** Reads SSE events from a fetch response until `count` arrived, then cancels the stream (a disconnect). */
async function readEvents(response: Response, count: number): Promise<Event[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: Event[] = [];
  let buffer = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith(':')) continue;
      const e: Event = { data: {} };
      for (const line of block.split('\n')) {
        const i = line.indexOf(': ');
        const [k, v] = [line.slice(0, i), line.slice(i + 2)];
        if (k === 'id') e.id = v; else if (k === 'event') e.event = v; else if (k === 'data') e.data = JSON.parse(v) as Record<string, unknown>;
      }
      events.push(e);
    }
  }
  await reader.cancel();
  return events;
}

describe('change feed', () => {
  let db: Strata;
  let app: FastifyInstance;
  let base: string;
  const append = (text: string, seq: number) => db.ingest('t', text, 'csv', { writer: 'w', seq });

  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:' });
    await db.createDataset('t', { columns: parseColumns('k:string,v:int32'), partitionKey: ['k'] });
    app = await buildApp(db);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => { await app.close(); await db.close(); });

  it('sends each new version, resumes after Last-Event-ID without loss, and names what a rollback withdrew', async () => {
    const feed = await fetch(`${base}/datasets/t/changes?from=1`);
    expect(feed.headers.get('content-type')).toMatch(/text\/event-stream/);
    await append('k,v\na,1\nb,2\n', 1);
    await append('k,v\nc,3\n', 2);
    const first = await readEvents(feed, 2);
    expect(first.map((e) => [e.id, e.event, e.data.kind, e.data.rowsAdded])).toEqual([['1', 'version', 'append', 2], ['2', 'version', 'append', 1]]);

    // Disconnected: versions 3 and 4 commit meanwhile; the client resumes after the last id it saw.
    await append('k,v\nd,4\n', 3);
    await db.rollback('t', 1);
    const resumed = await readEvents(await fetch(`${base}/datasets/t/changes`, { headers: { 'last-event-id': '2' } }), 2);
    expect(resumed.map((e) => e.id)).toEqual(['3', '4']);
    expect(resumed[1]!.data).toMatchObject({ kind: 'rollback', rollbackTo: 1, rowsRemoved: 2, withdrawn: [2, 3] });
  });

  it('evaluates a continuous query over each version\'s added rows', async () => {
    const sql = encodeURIComponent('select count(*) as n, sum(v) as s from t');
    const feed = await fetch(`${base}/datasets/t/changes?from=5&sql=${sql}`);
    await append('k,v\ne,5\nf,6\ng,7\n', 10);
    await append('k,v\nh,8\n', 11);
    const events = await readEvents(feed, 2);
    expect(events.map((e) => (e.data.result as { rows: unknown[][] }).rows)).toEqual([[[3, 18]], [[1, 8]]]);
  });

  it('refuses a bad continuous query before streaming', async () => {
    const r = await fetch(`${base}/datasets/t/changes?sql=${encodeURIComponent('drop table t')}`);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('STRATA_ERR_SQL_READ_ONLY');
    expect((await fetch(`${base}/datasets/nope/changes`)).status).toBe(404);
  });
});

describe('registered change-feed readers', () => {
  let db: Strata;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:', limits: { compactionIdleMs: 0 } });
    await db.createDataset('r', { columns: parseColumns('v:int32') });
    for (let i = 1; i <= 5; i++) await db.ingest('r', `v\n${i}\n`, 'csv');
    app = await buildApp(db);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => { await app.close(); await db.close(); });

  const ack = (reader: string, version: number) => app.inject({ method: 'POST', url: `/datasets/r/readers/${reader}/ack`, payload: { version } });

  it('resume after what they acknowledged, hold back vacuum, show their lag, and are told when they fell behind', async () => {
    // Registered by opening the feed; it starts where asked.
    expect((await readEvents(await fetch(`${base}/datasets/r/changes?reader=etl&from=1`), 5)).map((e) => e.id)).toEqual(['1', '2', '3', '4', '5']);
    expect((await ack('etl', 3)).json()).toMatchObject({ name: 'etl', acked: 3, lag: 2, holding: true });
    // Acknowledgements only move forward; unknown readers and versions are refused.
    expect((await ack('etl', 1)).json()).toMatchObject({ acked: 3 });
    expect((await ack('nobody', 1)).json().error.code).toBe('STRATA_ERR_READER_NOT_FOUND');
    expect((await ack('etl', 99)).json().error.code).toBe('STRATA_ERR_VERSION_NOT_FOUND');

    // Vacuum keeps what etl has not acknowledged, even with no retention.
    await db.vacuum('r', { retainMs: 0, graceMs: 0 });
    expect((await db.versions('r')).map((v) => v.version)).toEqual([0, 3, 4, 5]);
    // Reopened without `from`, the feed resumes after version 3.
    expect((await readEvents(await fetch(`${base}/datasets/r/changes?reader=etl`), 2)).map((e) => [e.event, e.id])).toEqual([['version', '4'], ['version', '5']]);
    expect((await app.inject({ url: '/datasets/r/readers' })).json()).toEqual([expect.objectContaining({ name: 'etl', acked: 3, lag: 2 })]);
    expect((await app.inject({ url: '/datasets/r' })).json().readers).toEqual([expect.objectContaining({ name: 'etl', lag: 2 })]);
    expect((await app.inject({ url: '/metrics' })).body).toMatch(/^strata_reader_lag_versions\{dataset="r",reader="etl"\} 2$/m);

    // Silent past readerHoldMsMax, a reader no longer holds vacuum; its feed names the versions it missed.
    const impatient = await Strata.open({ store: db.store, limits: { readerHoldMsMax: 1, compactionIdleMs: 0 } });
    await new Promise((r) => setTimeout(r, 10));
    expect((await impatient.readers('r'))[0]).toMatchObject({ holding: false });
    await impatient.vacuum('r', { retainMs: 0, graceMs: 0 });
    expect((await db.versions('r')).map((v) => v.version)).toEqual([0, 5]);
    await db.ingest('r', 'v\n6\n', 'csv');
    const events = await readEvents(await fetch(`${base}/datasets/r/changes?reader=etl`), 2);
    expect(events[0]).toMatchObject({ event: 'behind', data: { reader: 'etl', missed: { from: 4, to: 5 }, resumeAt: 6 } });
    expect([events[1]!.event, events[1]!.id]).toEqual(['version', '6']);

    // Dropped, it holds nothing.
    expect((await app.inject({ method: 'DELETE', url: '/datasets/r/readers/etl' })).statusCode).toBe(204);
    expect((await app.inject({ url: '/datasets/r/readers' })).json()).toEqual([]);
    expect((await app.inject({ method: 'DELETE', url: '/datasets/r/readers/etl' })).statusCode).toBe(404);
  });
});
