/**
 * One streaming writer with many batches in flight, as every Kafka producer
 * works: over HTTP, 64 seqs at once in shuffled order, and the typed
 * client's pipelined writer across kill -9 of the server. Every batch is
 * stored exactly once, every `duplicate` answer names a batch that is
 * stored, and nothing is dropped without an error.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, StrataClient, buildApp, parseColumns } from '../../src/index.js';

const rowsOf = (seq: number): string => `{"id":${seq * 10},"seq":${seq}}\n{"id":${seq * 10 + 1},"seq":${seq}}\n`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

describe('one writer, many batches in flight, over HTTP', () => {
  let db: Strata;
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:' });
    await db.createDataset('pipe', { columns: parseColumns('id:int64,seq:int64') });
    app = await buildApp(db);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => { await app.close(); await db.close(); });

  const post = async (seq: number): Promise<{ status: number; body: any }> => {
    const r = await fetch(`${base}/datasets/pipe/rows`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'strata-writer': 'prod', 'strata-seq': String(seq) }, body: rowsOf(seq) });
    return { status: r.status, body: await r.json() };
  };

  it('stores 64 parallel seqs exactly once, whatever order they arrive in, and answers retries with their version', async () => {
    const seqs = Array.from({ length: 64 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    const versionOf = new Map<number, number>();
    let todo = seqs;
    for (let round = 0; todo.length > 0 && round < 20; round++) {
      const answers = await Promise.all(todo.map(post));
      const again: number[] = [];
      answers.forEach((a, i) => {
        if (a.status === 200) {
          // The first time a seq arrives it cannot be a duplicate (a retry after a retryable refusal may be, if it raced).
          if (round === 0) expect(a.body.duplicate, `seq ${todo[i]} answered duplicate though never stored before`).toBe(false);
          versionOf.set(todo[i]!, a.body.version);
        } else {
          // Anything else must be retryable, and the retry settles it.
          expect([429, 503], JSON.stringify(a.body)).toContain(a.status);
          again.push(todo[i]!);
        }
      });
      todo = again;
    }
    expect(todo).toEqual([]);
    const stored = (await db.sql('select seq, count(*) from pipe group by seq order by seq')).rows;
    expect(stored).toEqual(Array.from({ length: 64 }, (_, i) => [i + 1, 2]));
    // Every retry is a duplicate naming the version that holds the batch.
    const retries = await Promise.all(seqs.map(post));
    retries.forEach((r, i) => expect(r).toEqual({ status: 200, body: { version: versionOf.get(seqs[i]!), rows: 2, duplicate: true } }));
    expect((await db.sql('select count(*) from pipe')).rows).toEqual([[128]]);
  });

  it('says where a writer stands, so it can resume', async () => {
    const r = await fetch(`${base}/datasets/pipe/writers/prod`);
    expect(await r.json()).toMatchObject({ writer: 'prod', seq: 64, kept: 64, floor: -1 });
    expect((await fetch(`${base}/datasets/pipe/writers/nobody`)).status).toBe(404);
  });
});

describe('the pipelined client across kill -9 of the server', () => {
  const store = path.join(mkdtempSync(path.join(tmpdir(), 'strata-pipeline-')), 'store');
  let server: ChildProcess | null = null;
  afterAll(() => { server?.kill('SIGKILL'); });

  async function start(port: number): Promise<void> {
    server = spawn(process.execPath, [path.resolve('bin/strata'), '--store', store, 'serve', '--port', String(port)], { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('strata serve did not start');
  }

  it('stores every batch exactly once with 16 in flight while the server dies and comes back', async () => {
    const db = await Strata.open({ store });
    await db.createDataset('pipe', { columns: parseColumns('id:int64,seq:int64') });
    await db.close();
    const port = await freePort();
    await start(port);
    const client = new StrataClient({ url: `http://127.0.0.1:${port}`, backoffMs: 20, attemptsMax: 400 });
    const writer = await client.writer('pipe', 'agent', { inFlight: 16 });
    expect(writer.seq).toBe(1);
    const batches = 600;
    const sends: Promise<unknown>[] = [];
    let kills = 0;
    for (let i = 1; i <= batches; i++) {
      sends.push(writer.send([{ id: i * 10, seq: i }, { id: i * 10 + 1, seq: i }]));
      if (i % 150 === 0) {
        // Let some be in flight, then kill the server without warning and bring it back.
        await new Promise((r) => setTimeout(r, 30));
        server!.kill('SIGKILL');
        kills++;
        await new Promise((r) => server!.once('exit', r));
        await start(port);
      }
      if (sends.length >= 64) await sends.shift();
    }
    await Promise.all(sends);
    await writer.flush();
    expect(kills).toBe(4);
    const r = await client.sql('select count(*) as n, count(distinct id) as ids, min(seq), max(seq), count(distinct seq) from pipe');
    expect(r.rows).toEqual([[2 * batches, 2 * batches, 1, batches, batches]]);
    // A new writer object for the same id resumes after the last stored seq.
    expect((await client.writer('pipe', 'agent')).seq).toBe(batches + 1);
  }, 120_000);
});
