/** A damaged or missing segment is reported by its checksum, never read as data: on the main thread and in the workers alike. */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';

/** A store with one chunk; `file` is its segment and `v` where column v lies in it. */
async function storeWithOneChunk(limits: Record<string, number>): Promise<{ db: Strata; file: string; v: { offset: number; bytes: number } }> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'strata-corrupt-'));
  // No decoded-chunk cache anywhere (main thread or workers): every query reads the segment again.
  const db = await Strata.open({ store: dir, limits: { chunkCacheBytesMax: 1, scanWorkerCacheBytesMax: 1, ...limits } });
  await db.createDataset('t', { columns: parseColumns('k:string,v:float64') });
  await db.ingest('t', `k,v\n${Array.from({ length: 100 }, (_, i) => `k${i},${i}`).join('\n')}\n`, 'csv');
  const [chunk] = (await db.snapshot('t')).chunks.values();
  return { db, file: path.join(dir, 't', 'segments', chunk!.segment!), v: { offset: chunk!.columns.v!.offset!, bytes: chunk!.columns.v!.bytes } };
}

describe('damaged chunks', () => {
  const open: Strata[] = [];
  afterEach(async () => { await Promise.all(open.splice(0).map((d) => d.close())); });

  for (const [where, limits] of [['main thread', { scanWorkers: 0 }], ['worker threads', { scanWorkers: 2, scanWorkerRowsMin: 0 }]] as const) {
    it(`a flipped byte fails the checksum (${where})`, async () => {
      const { db, file, v } = await storeWithOneChunk(limits);
      open.push(db);
      expect((await db.sql('select sum(v) from t')).rows).toEqual([[4950]]);
      const bytes = await fs.readFile(file);
      bytes[v.offset + v.bytes - 20]! ^= 0xff;
      await fs.writeFile(file, bytes);
      await expect(db.sql('select sum(v) from t')).rejects.toMatchObject({ code: 'STRATA_ERR_CHUNK_CORRUPT', details: { column: 'v' } });
      // Columns that are intact still read.
      expect((await db.sql('select count(k) from t')).rows).toEqual([[100]]);
    });

    it(`a missing segment is named (${where})`, async () => {
      const { db, file } = await storeWithOneChunk(limits);
      open.push(db);
      await fs.rm(file);
      await expect(db.sql('select max(v) from t')).rejects.toMatchObject({ code: 'STRATA_ERR_CHUNK_MISSING', details: { column: 'v' } });
    });
  }
});
