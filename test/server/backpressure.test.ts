/** Ingest backpressure: a bounded number of batches in flight and waiting; the rest get 429 with Retry-After, and nothing is lost. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, buildApp, parseColumns } from '../../src/index.js';

describe('ingest backpressure', () => {
  let db: Strata;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:', limits: { ingestInFlightMax: 1, ingestQueuedMax: 1 } });
    await db.createDataset('t', { columns: parseColumns('k:string,v:int32') });
    app = await buildApp(db);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => { await app.close(); await db.close(); });

  /** A request whose body arrives only when `finish` is called: it holds its place in the queue until then. */
  function slowAppend(seq: number): { done: Promise<Response>; finish: () => void } {
    let finish!: () => void;
    const gate = new Promise<void>((r) => { finish = r; });
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode('k,v\n'));
        await gate;
        controller.enqueue(new TextEncoder().encode(`a,${seq}\n`));
        controller.close();
      },
    });
    const done = fetch(`${base}/datasets/t/rows`, {
      method: 'POST', body, duplex: 'half',
      headers: { 'content-type': 'text/csv', 'strata-writer': 'w', 'strata-seq': String(seq) },
    } as RequestInit);
    return { done, finish };
  }

  it('refuses the batch beyond in-flight + queued with 429 and Retry-After, then accepts it once there is room', async () => {
    const first = slowAppend(1);
    await new Promise((r) => setTimeout(r, 200));
    const second = slowAppend(2); // waits in the queue
    await new Promise((r) => setTimeout(r, 200));
    const third = await fetch(`${base}/datasets/t/rows`, { method: 'POST', body: 'k,v\na,3\n', headers: { 'content-type': 'text/csv', 'strata-writer': 'w', 'strata-seq': '3' } });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    expect(((await third.json()) as { error: { code: string; retryable: boolean } }).error).toMatchObject({ code: 'STRATA_ERR_OVERLOADED', retryable: true });

    first.finish();
    second.finish();
    expect((await first.done).status).toBe(200);
    expect((await second.done).status).toBe(200);
    const retry = await fetch(`${base}/datasets/t/rows`, { method: 'POST', body: 'k,v\na,3\n', headers: { 'content-type': 'text/csv', 'strata-writer': 'w', 'strata-seq': '3' } });
    expect(retry.status).toBe(200);
    expect((await db.sql('select count(*), sum(v) from t')).rows).toEqual([[3, 6]]);
  });
});
