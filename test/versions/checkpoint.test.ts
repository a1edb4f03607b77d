/**
 * Checkpoints on every backend: a fresh process opens a dataset from its
 * newest checkpoint and the records after it (not from version 0), reaches
 * exactly the snapshot a fold from version 0 reaches, and falls back to an
 * older checkpoint (with a warning) when the newest is damaged or missing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Strata, openStore, parseColumns } from '../../src/index.js';
import type { Store } from '../../src/index.js';
import type { Snapshot } from '../../src/versions/snapshot.js';
import { storeWriterState } from '../../src/versions/writers.js';
import { cassandraUrl } from '../helpers/cassandra.js';

/** The store, counting calls by method; `hideCheckpoints` makes it look as if none were ever written. */
function watched(store: Store, hideCheckpoints = false): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        if (hideCheckpoints && prop === 'listObjects' && args[1] === 'checkpoint') return Promise.resolve([]);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

function essence(s: Snapshot): unknown {
  return {
    version: s.version, time: s.time, rows: s.rows, schema: s.schema, chunks: [...s.chunks.keys()],
    writers: Object.fromEntries([...s.writers].map(([w, st]) => [w, storeWriterState(st)])),
  };
}

function checkpoints(backend: string, open: () => Promise<Store>): void {
  describe(`checkpoints: ${backend}`, () => {
    it('open from the newest checkpoint, reach the snapshot a full fold reaches, and survive a damaged one', async () => {
      const store = await open();
      const limits = { checkpointEveryVersions: 10, compactionIdleMs: 0 };
      const writer = await Strata.open({ store, limits });
      await writer.createDataset('cp', { columns: parseColumns('k:string,v:int32'), partitionKey: ['k'] });
      for (let i = 1; i <= 95; i++) {
        if (i === 40) await writer.rollback('cp', 30);
        else if (i === 60) await writer.addColumn('cp', { name: 'note', type: 'string' });
        else await writer.ingest('cp', `k,v\nk${i % 3},${i}\n`, 'csv', i % 2 === 0 ? { writer: `w${i % 4}`, seq: i } : {});
      }
      // Checkpoints are written in the background after their commit.
      await new Promise((r) => setTimeout(r, 200));
      expect((await store.listObjects('cp', 'checkpoint')).map(Number)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
      // What a fold from version 0 reaches: the same store with its checkpoints hidden.
      const expected = essence(await (await Strata.open({ store: watched(store, true).store, limits })).snapshot('cp'));

      // A fresh process: the checkpoint at 90 and records 91..95, not 96 records.
      const fresh = watched(store);
      const db = await Strata.open({ store: fresh.store, limits });
      expect(essence(await db.snapshot('cp'))).toEqual(expected);
      expect(fresh.calls.get('getVersion') ?? 0).toBeLessThanOrEqual(8);
      expect((await db.sql('select count(*), sum(v) from cp')).rows).toEqual((await writer.sql('select count(*), sum(v) from cp')).rows);
      // An older version is reached from the checkpoint below it.
      const at45 = watched(store);
      expect(essence(await (await Strata.open({ store: at45.store, limits })).snapshot('cp', 45))).toEqual(essence(await writer.snapshot('cp', 45)));

      // The newest checkpoint damaged: a warning, and the one before it (80) with the records after.
      await store.putObject('cp', 'checkpoint', '00000000000000000090', Buffer.from('0'.repeat(64) + '\n{"format":1}'));
      const warnings: string[] = [];
      const onWarning = (w: Error): void => { warnings.push(w.message); };
      process.on('warning', onWarning);
      try {
        const damaged = watched(store);
        expect(essence(await (await Strata.open({ store: damaged.store, limits })).snapshot('cp'))).toEqual(expected);
        await new Promise((r) => setImmediate(r));
        expect(warnings.some((w) => /checkpoint at version 90 is not used \(its checksum does not match\)/.test(w))).toBe(true);
        expect(damaged.calls.get('getVersion') ?? 0).toBeLessThanOrEqual(18);
      } finally {
        process.off('warning', onWarning);
      }
      // No checkpoints at all: the fold from version 0 still gets there.
      await store.deleteObjects('cp', 'checkpoint', await store.listObjects('cp', 'checkpoint'));
      expect(essence(await (await Strata.open({ store, limits })).snapshot('cp'))).toEqual(expected);
      await writer.close();
    });
  });
}

checkpoints('memory', async () => openStore('memory:'));
checkpoints('local', async () => openStore(path.join(mkdtempSync(path.join(tmpdir(), 'strata-cp-')), 'store')));
checkpoints('cassandra', async () => openStore(cassandraUrl('strata_cp')));
