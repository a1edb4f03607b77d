/**
 * Automatic vacuum (what `strata serve` runs): with a short interval and no
 * default retention, each pass moves every dataset's horizon to its head,
 * keeps the tagged versions and a dataset's own longer retention, and shows
 * in /metrics.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Strata, buildApp, parseColumns } from '../../src/index.js';

describe('automatic vacuum', () => {
  it('vacuums every dataset each interval, keeps tags, and counts what it did', async () => {
    const store = path.join(mkdtempSync(path.join(tmpdir(), 'strata-autovacuum-')), 'store');
    const db = await Strata.open({ store, limits: { vacuumEveryMs: 100, vacuumRetainMs: 0, vacuumGraceMs: 0, compactionIdleMs: 0 } });
    try {
      for (const name of ['a', 'b', 'c']) {
        await db.createDataset(name, { columns: parseColumns('x:int32') });
        for (let i = 1; i <= 6; i++) await db.ingest(name, `x\n${i}\n`, 'csv');
      }
      // c keeps an hour of history: its own setting beats the default of none.
      expect(await db.setRetention('c', 3_600_000)).toMatchObject({ retainMs: 3_600_000, retention: 'dataset' });
      expect(await db.describe('b')).toMatchObject({ retainMs: 0, retention: 'default' });
      await expect(db.setRetention('c', -1)).rejects.toMatchObject({ code: 'STRATA_ERR_INVALID_ARGUMENT' });
      await db.tag('a', 'three', 3);
      const three = (await db.sql("select sum(x) from a AT (VERSION => 'three')")).rows;
      db.startAutoVacuum();
      const kept = async (name: string): Promise<number[]> => (await db.versions(name)).map((v) => v.version);
      for (let waited = 0; (await kept('b')).length > 2 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      expect(await kept('a')).toEqual([0, 3, 6]);
      expect(await kept('b')).toEqual([0, 6]);
      expect(await kept('c')).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect((await db.sql("select sum(x) from a AT (VERSION => 'three')")).rows).toEqual(three);
      expect((await db.sql('select sum(x) from b')).rows).toEqual([[21]]);
      const totals = db.vacuumTotals();
      expect(totals.runs).toBeGreaterThan(0);
      // Records 1..6 of each (the head and the tagged version live on as checkpoints).
      expect(totals.versions).toBe(12);
      expect(totals.failures).toBe(0);
      const app = await buildApp(db);
      const metrics = (await app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/^strata_vacuum_versions_deleted_total 12$/m);
      expect(metrics).toMatch(/^strata_vacuum_failures_total 0$/m);
      // A dataset's retention over HTTP; back to the default, the next vacuum takes its history.
      const put = await app.inject({ method: 'PUT', url: '/datasets/c/retention', payload: { retainMs: null } });
      expect(put.json()).toEqual({ retainMs: 0, retention: 'default' });
      expect((await app.inject({ url: '/datasets/c' })).json()).toMatchObject({ retainMs: 0, retention: 'default' });
      expect((await app.inject({ method: 'PUT', url: '/datasets/c/retention', payload: { retainMs: 'soon' } })).statusCode).toBe(400);
      await db.vacuum('c');
      expect(await kept('c')).toEqual([0, 6]);
      await app.close();
    } finally {
      await db.close();
    }
  }, 30_000);
});
