import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Strata } from '../../src/index.js';
import { versionSemantics } from './semantics.js';

const made: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-sem-'));
  made.push(dir);
  return dir;
}

async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
}

versionSemantics('local', async () => Strata.open({ store: await tempDir() }), removeTempDirs);

describe('two Strata on one folder (two processes)', () => {
  afterEach(removeTempDirs);

  it('each sees the commits of the other', async () => {
    const dir = await tempDir();
    const [a, b] = [await Strata.open({ store: dir }), await Strata.open({ store: dir })];
    try {
      await a.createDataset('t', { columns: [{ name: 'x', type: 'int32' }] });
      await a.ingest('t', 'x\n1\n', 'csv', { writer: 'w', seq: 1 });
      expect((await b.sql('select sum(x) from t')).rows).toEqual([[1]]);
      await a.ingest('t', 'x\n2\n', 'csv', { writer: 'w', seq: 2 });
      // b's cached head is stale; a re-send through b is still a duplicate.
      expect(await b.ingest('t', 'x\n2\n', 'csv', { writer: 'w', seq: 2 })).toMatchObject({ version: 2, duplicate: true });
      await b.rollback('t', 1);
      expect((await a.sql('select sum(x) from t')).rows).toEqual([[1]]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  // A Strata caches version records per dataset name: it must notice a drop and re-create elsewhere.
  it('a dataset dropped and re-created by another process is not read from a stale cache', async () => {
    const dir = await tempDir();
    const [a, b] = [await Strata.open({ store: dir }), await Strata.open({ store: dir })];
    try {
      await a.createDataset('t', { columns: [{ name: 'x', type: 'int32' }] });
      await a.ingest('t', 'x\n1\n', 'csv');
      await a.ingest('t', 'x\n2\n', 'csv');
      expect((await b.sql('select sum(x) from t')).rows).toEqual([[3]]);
      await a.drop('t');
      await a.createDataset('t', { columns: [{ name: 's', type: 'string' }] });
      await a.ingest('t', 's\nhello\n', 'csv');
      expect((await b.describe('t')).schema.columns.map((c) => c.name)).toEqual(['s']);
      expect((await b.sql('select * from t')).rows).toEqual([['hello']]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  // After 2 s without a change, a head check compares the versions folder's times instead of reading
  // version files; whatever the other process does next must still be seen at once.
  it('after a quiet spell, each commit, rollback and re-creation by the other is seen at once', async () => {
    const dir = await tempDir();
    const [a, b] = [await Strata.open({ store: dir }), await Strata.open({ store: dir })];
    const quiet = (): Promise<void> => new Promise((r) => setTimeout(r, 2100));
    try {
      await a.createDataset('t', { columns: [{ name: 'x', type: 'int32' }] });
      await a.ingest('t', 'x\n1\n', 'csv');
      await quiet();
      expect((await b.sql('select sum(x) from t')).rows).toEqual([[1]]);
      expect((await b.sql('select sum(x) from t')).rows).toEqual([[1]]);
      await a.ingest('t', 'x\n2\n', 'csv');
      expect((await b.sql('select sum(x) from t')).rows).toEqual([[3]]);
      await quiet();
      expect((await b.sql('select sum(x) from t')).rows).toEqual([[3]]);
      await a.rollback('t', 1);
      expect((await b.sql('select sum(x) from t')).rows).toEqual([[1]]);
      await quiet();
      expect((await b.sql('select count(*) from t')).rows).toEqual([[1]]);
      await a.drop('t');
      await a.createDataset('t', { columns: [{ name: 's', type: 'string' }] });
      await a.ingest('t', 's\nhello\n', 'csv');
      expect((await b.sql('select * from t')).rows).toEqual([['hello']]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
