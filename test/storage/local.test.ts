import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChunkAddress } from '../../src/index.js';
import { isStrataError, openStore } from '../../src/index.js';
import { storeConformance } from './conformance.js';

/** Temporary folders made by the current test, removed after it. */
const made: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-store-'));
  made.push(dir);
  return dir;
}

async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
}

/** Every file and folder under `dir`, relative to it. */
async function listTree(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

storeConformance('local', async () => openStore(await tempDir()), removeTempDirs);

describe('LocalStore only', () => {
  afterEach(removeTempDirs);

  it('two stores on one folder (two processes) race for a version: exactly one wins', async () => {
    const dir = await tempDir();
    const [s1, s2] = [await openStore(dir), await openStore(dir)];
    for (let version = 0; version < 5; version++) {
      const won = await Promise.all([
        s1.putVersion('race', version, Buffer.from(`s1 ${version}`)),
        s2.putVersion('race', version, Buffer.from(`s2 ${version}`)),
      ]);
      expect(won.filter(Boolean), `version ${version}`).toHaveLength(1);
    }
    expect(await s2.headVersion('race')).toBe(4);
  });

  it('refuses dataset and column names that could leave the root, and creates nothing outside it', async () => {
    const outer = await tempDir();
    const root = path.join(outer, 'store');
    const store = await openStore(root);
    const hex = '0123456789abcdef';
    const badNames = ['../x', '..', 'a/b', 'a\\b', '.hidden', 'A', '', 'x'.repeat(64), '/abs', 'a\0b'];
    const one = new Map([['v', Buffer.from('x')]]);

    const expectRefused = async (what: string, op: () => Promise<unknown>): Promise<void> => {
      const err = await op().then(() => undefined, (e: unknown) => e);
      expect(isStrataError(err, 'STRATA_ERR_INVALID_NAME'), `${what}: ${String(err)}`).toBe(true);
    };
    for (const bad of badNames) {
      const addr: ChunkAddress = { dataset: bad, partition: hex, chunk: hex };
      await expectRefused(`putVersion ${bad}`, () => store.putVersion(bad, 0, Buffer.from('{}')));
      await expectRefused(`getVersion ${bad}`, () => store.getVersion(bad, 0));
      await expectRefused(`headVersion ${bad}`, () => store.headVersion(bad));
      await expectRefused(`dropDataset ${bad}`, () => store.dropDataset(bad));
      await expectRefused(`putChunk ${bad}`, () => store.putChunk(addr, one));
      await expectRefused(`getChunkColumns ${bad}`, () => store.getChunkColumns(addr, ['v']));
      // The same names as column names of a well-named dataset.
      const good: ChunkAddress = { dataset: 'good', partition: hex, chunk: hex };
      await expectRefused(`putChunk column ${bad}`, () => store.putChunk(good, new Map([[bad, Buffer.from('x')]])));
      await expectRefused(`getChunkColumns column ${bad}`, () => store.getChunkColumns(good, [bad]));
    }
    // Partition and chunk ids are not user input, but are still never used as paths unchecked.
    for (const id of ['../x', 'zz', '']) {
      await expect(store.putChunk({ dataset: 'good', partition: id, chunk: hex }, one)).rejects.toThrow();
      await expect(store.putChunk({ dataset: 'good', partition: hex, chunk: id }, one)).rejects.toThrow();
    }

    const outside = (await listTree(outer)).filter((p) => p !== 'store' && !p.startsWith(`store${path.sep}`));
    expect(outside).toEqual([]);
    const inside = await fs.readdir(root).catch(() => []);
    expect(inside.filter((n) => n !== 'good'), 'only well-named datasets inside the root').toEqual([]);
    expect(await store.listDatasets()).toEqual([]);
  });
});
