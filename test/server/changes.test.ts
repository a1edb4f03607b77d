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
