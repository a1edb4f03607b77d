/**
 * "Any Arrow reader can read a chunk column": pyarrow (from PyPI, in a venv
 * made by scripts/pyarrow/venv.mjs) reads every column file each backend
 * stores, and the rows it finds are exactly the rows ingested. It also reads
 * /sql's Arrow answers. Columns written before the body-compression prefix
 * was corrected still read.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without type declarations
import { ensurePyarrow } from '../../scripts/pyarrow/venv.mjs';
import { decodeColumn } from '../../src/chunk/codec.js';
import { Strata, buildApp, parseColumns } from '../../src/index.js';
import type { ChunkRef } from '../../src/chunk/chunk.js';
import { cassandraUrl } from '../helpers/cassandra.js';

type Read = Record<string, { fields: [string, string][]; columns: Record<string, unknown[]> }>;

let python: string;
const readWithPyarrow = (files: string[]): Read =>
  JSON.parse(execFileSync(python, [path.resolve('scripts/pyarrow/read.py'), ...files], { maxBuffer: 1 << 28 }).toString()) as Read;

/** The stored bytes of one chunk column: a byte range of its segment, or its own file. */
async function columnBytes(db: Strata, dataset: string, c: ChunkRef, column: string): Promise<Uint8Array | undefined> {
  const meta = c.columns[column];
  if (!meta) return undefined;
  if (c.segment !== undefined) return (await db.store.readObject(dataset, 'segment', c.segment, [{ offset: meta.offset!, length: meta.bytes }]))?.[0];
  return (await db.store.getChunkColumns({ dataset, partition: c.partition, chunk: c.id, ...(c.bucket !== undefined ? { bucket: c.bucket } : {}) }, [column])).get(column);
}

const schema = 'host:string,ts:timestamp,n:int32,big:int64,v:float64,ok:bool,note:string';
const names = ['host', 'ts', 'n', 'big', 'v', 'ok', 'note'];

/** Rows with every type, NULLs in every column but the keys, and values at the edges of their types. */
function rows(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    host: `h${i % 3}`,
    ts: Date.UTC(2026, 0, 1) + i * 1000 + (i % 7),
    n: i % 5 === 0 ? null : i % 2 === 0 ? -2147483648 + i : 2147483647 - i,
    big: i % 6 === 0 ? null : i % 2 === 0 ? `${-(2n ** 63n) + BigInt(i)}` : `${2n ** 62n + BigInt(i)}`,
    v: i % 4 === 0 ? null : i * 0.25 - 3,
    ok: i % 3 === 0 ? null : i % 2 === 0,
    note: i % 2 === 0 ? null : `note ${i} ✓`,
  }));
}

/** A row as a comparable text: timestamps in ms, int64 as decimal text, everything else as JSON. */
function key(r: Record<string, unknown>): string {
  return JSON.stringify(names.map((n) => (r[n] === null || r[n] === undefined ? null : n === 'big' ? String(r[n]) : r[n])));
}

async function checkBackend(store: string): Promise<void> {
  const db = await Strata.open({ store });
  try {
    await db.createDataset('all_types', { columns: parseColumns(schema), partitionKey: ['host'], sortKey: ['ts'], chunkRows: 200 });
    const sent = rows(1000);
    await db.ingest('all_types', sent.map((r) => JSON.stringify(r)).join('\n'), 'ndjson');
    const snapshot = await db.snapshot('all_types');
    const work = mkdtempSync(path.join(tmpdir(), 'strata-pyarrow-'));
    const files: { file: string; chunk: string; column: string }[] = [];
    for (const c of snapshot.chunks.values()) {
      for (const column of names) {
        const bytes = await columnBytes(db, 'all_types', c, column);
        if (!bytes) continue;
        const file = path.join(work, `${c.id}-${column}.arrows`);
        writeFileSync(file, bytes);
        files.push({ file, chunk: c.id, column });
      }
    }
    const read = readWithPyarrow(files.map((f) => f.file));
    const found: string[] = [];
    for (const c of snapshot.chunks.values()) {
      const columns = new Map(files.filter((f) => f.chunk === c.id).map((f) => [f.column, read[f.file]!.columns[f.column]!]));
      for (let i = 0; i < c.rows; i++) {
        found.push(key(Object.fromEntries(names.map((n) => [n, columns.get(n)?.[i] ?? null]))));
      }
    }
    expect(found.sort()).toEqual(sent.map(key).sort());
    // pyarrow sees the types Strata means.
    const types = new Map(files.map((f) => [f.column, read[f.file]!.fields[0]![1]]));
    expect(Object.fromEntries(types)).toEqual({
      host: 'string', ts: 'timestamp[ms]', n: 'int32', big: 'int64', v: 'double', ok: 'bool', note: 'string',
    });
  } finally {
    await db.close();
  }
}

describe('pyarrow reads what Strata writes', () => {
  beforeAll(() => { python = ensurePyarrow() as string; }, 300_000);

  it('reads every chunk column of the local store', async () => {
    await checkBackend(path.join(mkdtempSync(path.join(tmpdir(), 'strata-pyarrow-local-')), 'store'));
  });
  it('reads every chunk column of the memory store', async () => { await checkBackend('memory:'); });
  it('reads every chunk column of the Cassandra store', async () => { await checkBackend(cassandraUrl('strata_pyarrow')); });

  describe('over HTTP', () => {
    let db: Strata;
    let app: Awaited<ReturnType<typeof buildApp>>;
    beforeAll(async () => {
      db = await Strata.open({ store: 'memory:' });
      await db.createDataset('all_types', { columns: parseColumns(schema), partitionKey: ['host'], sortKey: ['ts'] });
      await db.ingest('all_types', rows(300).map((r) => JSON.stringify(r)).join('\n'), 'ndjson');
      app = await buildApp(db);
    });
    afterAll(async () => { await app.close(); await db.close(); });

    it('reads /sql Arrow answers with the values of the JSON answer', async () => {
      const sql = "select host, ts, n, big, v, ok, note, ts + interval 1 microsecond as us, big::ubigint as u from all_types where big > 0 or big is null order by ts";
      const arrow = await app.inject({ method: 'POST', url: '/sql', headers: { accept: 'application/vnd.apache.arrow.stream' }, payload: { sql } });
      const json = await app.inject({ method: 'POST', url: '/sql', payload: { sql } });
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'strata-pyarrow-sql-')), 'answer.arrows');
      writeFileSync(file, arrow.rawPayload);
      const read = readWithPyarrow([file])[file]!;
      const { columns, rows: jsonRows } = json.json() as { columns: { name: string }[]; rows: unknown[][] };
      expect(read.fields.map((f) => f[0])).toEqual(columns.map((c) => c.name));
      expect(read.columns.ts!.length).toBe(jsonRows.length);
      const micros = (text: unknown): number | null => (text === null ? null : Date.parse(`${String(text).replace(' ', 'T')}Z`) * 1000 + Number((/\.\d{3}(\d{3})/.exec(String(text)) ?? [0, '0'])[1]));
      jsonRows.forEach((r, i) => {
        expect([read.columns.host![i], read.columns.n![i], read.columns.v![i], read.columns.ok![i], read.columns.note![i]]).toEqual([r[0], r[2], r[4], r[5], r[6]]);
        expect(read.columns.big![i] === null ? null : String(read.columns.big![i])).toBe(r[3] === null ? null : String(r[3]));
        expect(read.columns.u![i] === null ? null : String(read.columns.u![i])).toBe(r[8] === null ? null : String(r[8]));
        expect(read.columns.ts![i]).toBe(micros(r[1]));
        expect(read.columns.us![i]).toBe(micros(r[7]));
      });
    });
  });

  it('still reads columns written with the compressed length in the prefix', async () => {
    const db = await Strata.open({ store: 'memory:' });
    await db.createDataset('t', { columns: parseColumns('v:float64') });
    await db.ingest('t', Array.from({ length: 5000 }, (_, i) => `{"v":${i % 10}}`).join('\n'), 'ndjson');
    const c = [...(await db.snapshot('t')).chunks.values()][0]!;
    const bytes = (await columnBytes(db, 't', c, 'v'))!;
    // The body's first compressed buffer: put back what apache-arrow 21 wrote (the compressed length).
    const legacy = Uint8Array.from(bytes);
    const view = new DataView(legacy.buffer);
    let patched = 0;
    for (let at = 0; at + 16 <= legacy.length; at += 8) {
      const claimed = view.getBigInt64(at, true);
      if (claimed === 5000n * 8n) { view.setBigInt64(at, BigInt(legacy.length - at - 8) & ~7n, true); patched++; break; }
    }
    expect(patched).toBe(1);
    const decoded = decodeColumn(legacy, 'float64', 5000, 'legacy');
    expect(Array.from(decoded.type === 'float64' ? decoded.values.subarray(0, 12) : [])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    await db.close();
  });
});
