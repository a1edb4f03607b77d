/**
 * Kept-open segment handles: at most `max` stay open, a handle a read holds
 * is never closed under it, dropping gives the file back once reads end, and
 * the local store forgets a segment it deleted (a read then finds nothing).
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HandleCache } from '../../src/storage/local/handle-cache.js';
import { LocalStore } from '../../src/storage/local/local-store.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('kept-open read handles', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-handles-'));
  const files = Array.from({ length: 6 }, (_, i) => {
    const f = path.join(dir, `f${i}`);
    writeFileSync(f, Buffer.from(`content ${i}`));
    return f;
  });
  const read = async (cache: HandleCache, f: string): Promise<string | undefined> =>
    cache.with(f, async (fh, size) => { const b = Buffer.alloc(size); await fh.read(b, 0, size, 0); return b.toString(); });

  it('keeps at most max handles open, least recently used closed first', async () => {
    const cache = new HandleCache(2);
    const before = openFds();
    for (const f of files) expect(await read(cache, f)).toBe(`content ${files.indexOf(f)}`);
    await new Promise((r) => setTimeout(r, 20));
    expect(openFds() - before).toBeLessThanOrEqual(2);
    // Many concurrent first reads of one file share one open.
    const again = await Promise.all(Array.from({ length: 20 }, () => read(cache, files[0]!)));
    expect(new Set(again)).toEqual(new Set(['content 0']));
    await cache.closeAll();
    await new Promise((r) => setTimeout(r, 20));
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it('never closes a handle a read holds, and answers undefined for a missing file', async () => {
    const cache = new HandleCache(1);
    const got = await cache.with(files[1]!, async (fh, size) => {
      cache.drop(files[1]!);
      await read(cache, files[2]!); // evicts everything else meanwhile
      const b = Buffer.alloc(size); await fh.read(b, 0, size, 0);
      return b.toString();
    });
    expect(got).toBe('content 1');
    expect(await read(cache, path.join(dir, 'missing'))).toBeUndefined();
    await cache.closeAll();
  });

  it('a segment the store deleted is not read from a kept handle', async () => {
    const store = new LocalStore(path.join(dir, 'store'));
    await store.putVersion('d', 0, new Uint8Array([1]));
    await store.putObject('d', 'segment', '0123456789abcdef0123456789abcdef', new Uint8Array([1, 2, 3, 4]));
    const got = await store.readObject('d', 'segment', '0123456789abcdef0123456789abcdef', [{ offset: 1, length: 2 }]);
    expect(got?.map((b) => [...b])).toEqual([[2, 3]]);
    await store.deleteObjects('d', 'segment', ['0123456789abcdef0123456789abcdef']);
    expect(await store.readObject('d', 'segment', '0123456789abcdef0123456789abcdef', [{ offset: 1, length: 2 }])).toBeUndefined();
    await store.close();
  });
});
