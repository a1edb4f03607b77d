/**
 * The storage conformance suite: the `Store` contract every backend (local
 * files, memory, Cassandra) must pass. It tests only what `src/storage/store.ts`
 * promises, never how a backend keeps its data.
 *
 * A backend may be shared between tests (one Cassandra keyspace), so every
 * test works on dataset names of its own and checks `listDatasets` by
 * membership, never by equality.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChunkAddress, Store } from '../../src/index.js';

const MiB = 1024 * 1024;

/** Today's bucket: the UTC day number, which is what `ChunkAddress.bucket` holds when Strata writes a chunk. */
const today = Math.floor(Date.now() / 86_400_000);

/** A dataset name no other test (or earlier run on a persistent backend) uses. */
function uniqueName(tag: string): string {
  return `c${randomBytes(6).toString('hex')}_${tag}`;
}

/** Partition and chunk ids are hex in every real caller. */
function hexId(): string {
  return randomBytes(16).toString('hex');
}

function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text));
}

/** Every byte value, twice: catches text-mode or encoding mistakes in a backend. */
const allByteValues = new Uint8Array(512).map((_, i) => i % 256);

/** Byte-exact comparison that stays fast on multi-MiB buffers and prints little on failure. */
function expectSameBytes(actual: Uint8Array | undefined, expected: Uint8Array, what: string): void {
  expect(actual, what).toBeInstanceOf(Uint8Array);
  expect(actual!.byteLength, `${what}: length`).toBe(expected.byteLength);
  expect(Buffer.compare(Buffer.from(actual!.buffer, actual!.byteOffset, actual!.byteLength), Buffer.from(expected)), `${what}: content`).toBe(0);
}

export function storeConformance(name: string, open: () => Promise<Store>, cleanup?: () => Promise<void>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await open();
    });

    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    describe('versions', () => {
      it('putVersion is put-if-absent: a second put returns false and leaves the first record', async () => {
        const ds = uniqueName('put');
        expect(await store.putVersion(ds, 0, bytes('first'))).toBe(true);
        expect(await store.putVersion(ds, 0, bytes('second'))).toBe(false);
        expect(await store.putVersion(ds, 0, bytes('first'))).toBe(false);
        expectSameBytes(await store.getVersion(ds, 0), bytes('first'), 'version 0');
      });

      it('of many racing puts of one version exactly one wins, and its record is the one stored', async () => {
        const ds = uniqueName('race');
        for (const version of [0, 1]) {
          const records = Array.from({ length: 16 }, (_, i) => bytes(`writer ${i} wants version ${version}`));
          const won = await Promise.all(records.map((r) => store.putVersion(ds, version, r)));
          expect(won.filter(Boolean), `winners of version ${version}`).toHaveLength(1);
          expectSameBytes(await store.getVersion(ds, version), records[won.indexOf(true)]!, `version ${version}`);
        }
        expect(await store.headVersion(ds)).toBe(1);
      });

      it('getVersion of a missing version or dataset is undefined', async () => {
        const ds = uniqueName('get');
        expect(await store.getVersion(ds, 0)).toBeUndefined();
        await store.putVersion(ds, 0, bytes('v0'));
        expect(await store.getVersion(ds, 1)).toBeUndefined();
        expect(await store.getVersion(ds, 12345)).toBeUndefined();
        expect(await store.getVersion(uniqueName('other'), 0)).toBeUndefined();
      });

      it('stores version records byte-exact, binary and large ones included', async () => {
        const ds = uniqueName('rec');
        const large = randomBytes(MiB);
        await store.putVersion(ds, 0, allByteValues);
        await store.putVersion(ds, 1, large);
        expectSameBytes(await store.getVersion(ds, 0), allByteValues, 'binary record');
        expectSameBytes(await store.getVersion(ds, 1), large, '1 MiB record');
      });

      it('keeps its own copy: changing the caller\'s bytes after a put or a get changes nothing stored', async () => {
        const ds = uniqueName('copy');
        const record = bytes('original');
        await store.putVersion(ds, 0, record);
        record.fill(0);
        const read = (await store.getVersion(ds, 0))!;
        read.fill(0);
        expectSameBytes(await store.getVersion(ds, 0), bytes('original'), 'version 0');
      });

      it('headVersion is undefined until version 0 exists, then the highest version', async () => {
        const ds = uniqueName('head');
        expect(await store.headVersion(ds)).toBeUndefined();
        // A stray higher version without version 0 is no dataset.
        await store.putVersion(ds, 1, bytes('v1'));
        expect(await store.headVersion(ds)).toBeUndefined();
        expect(await store.listDatasets()).not.toContain(ds);
        await store.putVersion(ds, 0, bytes('v0'));
        expect(await store.headVersion(ds)).toBe(1);
        await store.putVersion(ds, 2, bytes('v2'));
        expect(await store.headVersion(ds)).toBe(2);
      });

      it('headVersion with a `from` hint finds the head whether the hint is current, close or far behind', async () => {
        const ds = uniqueName('hint');
        const head = 80;
        await store.putVersion(ds, 0, bytes('v0'));
        await Promise.all(Array.from({ length: head }, (_, i) => store.putVersion(ds, i + 1, bytes(`v${i + 1}`))));
        expect(await store.headVersion(ds)).toBe(head);
        for (const from of [0, 1, 17, 40, head - 33, head - 32, head - 31, head - 1, head]) {
          expect(await store.headVersion(ds, from), `hint ${from}`).toBe(head);
        }
        // The head moves on after a hinted read; the same (now stale) hint still finds it.
        await store.putVersion(ds, head + 1, bytes('next'));
        expect(await store.headVersion(ds, head)).toBe(head + 1);
      });

      it('listDatasets lists exactly the datasets that have a version 0', async () => {
        const a = uniqueName('a');
        const b = uniqueName('b');
        const noZero = uniqueName('nozero');
        const onlyChunks = uniqueName('chunks');
        await store.putVersion(a, 0, bytes('a0'));
        await store.putVersion(b, 0, bytes('b0'));
        await store.putVersion(b, 1, bytes('b1'));
        await store.putVersion(noZero, 3, bytes('x'));
        await store.putChunk({ dataset: onlyChunks, partition: hexId(), chunk: hexId() }, new Map([['v', bytes('x')]]));
        const listed = await store.listDatasets();
        expect(listed).toEqual(expect.arrayContaining([a, b]));
        expect(listed).not.toContain(noZero);
        expect(listed).not.toContain(onlyChunks);
        expect(new Set(listed).size, 'no name twice').toBe(listed.length);
      });
    });

    describe('dropDataset', () => {
      it('returns false for a dataset that does not exist', async () => {
        expect(await store.dropDataset(uniqueName('missing'))).toBe(false);
      });

      it('removes versions and chunks; a re-created dataset starts clean', async () => {
        const ds = uniqueName('drop');
        const keep = uniqueName('keep');
        const addr: ChunkAddress = { dataset: ds, partition: hexId(), chunk: hexId() };
        const bucketed: ChunkAddress = { dataset: ds, partition: addr.partition, chunk: hexId(), bucket: today };
        const keptAddr: ChunkAddress = { ...addr, dataset: keep };
        for (const name of [ds, keep]) {
          await store.putVersion(name, 0, bytes('old 0'));
          await store.putVersion(name, 1, bytes('old 1'));
        }
        await store.putChunk(addr, new Map([['v', bytes('old chunk')]]));
        await store.putChunk(bucketed, new Map([['v', bytes('old chunk, bucketed')]]));
        await store.putChunk(keptAddr, new Map([['v', bytes('kept chunk')]]));

        expect(await store.dropDataset(ds)).toBe(true);
        expect(await store.headVersion(ds)).toBeUndefined();
        expect(await store.getVersion(ds, 0)).toBeUndefined();
        expect(await store.getVersion(ds, 1)).toBeUndefined();
        expect((await store.getChunkColumns(addr, ['v'])).size, 'chunk').toBe(0);
        expect((await store.getChunkColumns(bucketed, ['v'])).size, 'chunk written with a bucket').toBe(0);
        expect(await store.listDatasets()).not.toContain(ds);
        expect(await store.dropDataset(ds), 'second drop').toBe(false);

        // Other datasets are untouched.
        expect(await store.headVersion(keep)).toBe(1);
        expectSameBytes((await store.getChunkColumns(keptAddr, ['v'])).get('v'), bytes('kept chunk'), 'kept chunk');

        // Re-creating the name: version 0 is free again, nothing of the old history shows through.
        expect(await store.putVersion(ds, 0, bytes('new 0'))).toBe(true);
        expect(await store.headVersion(ds)).toBe(0);
        expect(await store.headVersion(ds, 0)).toBe(0);
        expectSameBytes(await store.getVersion(ds, 0), bytes('new 0'), 'new version 0');
        expect(await store.getVersion(ds, 1)).toBeUndefined();
        expect((await store.getChunkColumns(addr, ['v'])).size).toBe(0);
        expect((await store.getChunkColumns(bucketed, ['v'])).size).toBe(0);
        expect(await store.putVersion(ds, 1, bytes('new 1'))).toBe(true);
        expect(await store.listDatasets()).toContain(ds);
      });
    });

    describe('chunks', () => {
      it('round-trips every column of a chunk byte-exact', async () => {
        const addr: ChunkAddress = { dataset: uniqueName('chunk'), partition: hexId(), chunk: hexId() };
        const columns = new Map<string, Uint8Array>([
          ['ts', randomBytes(1000)],
          ['host', allByteValues],
          ['v', new Uint8Array([0])],
          ['zeros', new Uint8Array(4096)],
        ]);
        await store.putChunk(addr, columns);
        const read = await store.getChunkColumns(addr, [...columns.keys()]);
        expect([...read.keys()].sort()).toEqual([...columns.keys()].sort());
        for (const [col, expected] of columns) expectSameBytes(read.get(col), expected, `column ${col}`);
      });

      it('re-putting the same chunk is harmless', async () => {
        const addr: ChunkAddress = { dataset: uniqueName('reput'), partition: hexId(), chunk: hexId() };
        const columns = new Map([['a', randomBytes(300)], ['b', randomBytes(70)]]);
        await store.putChunk(addr, columns);
        await store.putChunk(addr, columns);
        await Promise.all([store.putChunk(addr, columns), store.putChunk(addr, columns)]);
        const read = await store.getChunkColumns(addr, ['a', 'b']);
        expectSameBytes(read.get('a'), columns.get('a')!, 'a');
        expectSameBytes(read.get('b'), columns.get('b')!, 'b');
      });

      it('reads a subset of columns; a missing column or chunk is absent from the map', async () => {
        const addr: ChunkAddress = { dataset: uniqueName('subset'), partition: hexId(), chunk: hexId() };
        const columns = new Map([['a', bytes('A')], ['b', bytes('B')], ['c', bytes('C')]]);
        await store.putChunk(addr, columns);
        const read = await store.getChunkColumns(addr, ['c', 'nope', 'a']);
        expect([...read.keys()].sort()).toEqual(['a', 'c']);
        expectSameBytes(read.get('a'), bytes('A'), 'a');
        expectSameBytes(read.get('c'), bytes('C'), 'c');
        expect((await store.getChunkColumns(addr, [])).size).toBe(0);
        expect((await store.getChunkColumns({ ...addr, chunk: hexId() }, ['a'])).size, 'missing chunk').toBe(0);
        expect((await store.getChunkColumns({ ...addr, dataset: uniqueName('none') }, ['a'])).size, 'missing dataset').toBe(0);
      });

      it('keeps datasets, partitions and chunks apart even when their ids are equal', async () => {
        const partition = hexId();
        const chunk = hexId();
        const d1 = uniqueName('iso1');
        const d2 = uniqueName('iso2');
        const places: [ChunkAddress, Uint8Array][] = [
          [{ dataset: d1, partition, chunk }, bytes('d1 p c')],
          [{ dataset: d2, partition, chunk }, bytes('d2 p c')],
          [{ dataset: d1, partition: hexId(), chunk }, bytes('d1 other partition')],
          [{ dataset: d1, partition, chunk: hexId() }, bytes('d1 other chunk')],
        ];
        await Promise.all(places.map(([addr, b]) => store.putChunk(addr, new Map([['v', b]]))));
        for (const [addr, b] of places) {
          expectSameBytes((await store.getChunkColumns(addr, ['v'])).get('v'), b, JSON.stringify(addr));
        }
        await store.putVersion(d1, 0, bytes('d1'));
        await store.putVersion(d2, 0, bytes('d2'));
        expect(await store.dropDataset(d1)).toBe(true);
        expectSameBytes((await store.getChunkColumns(places[1]![0], ['v'])).get('v'), bytes('d2 p c'), 'd2 after dropping d1');
        expectSameBytes(await store.getVersion(d2, 0), bytes('d2'), 'd2 version 0');
      });

      it('round-trips large binary columns (1 and 4 MiB)', async () => {
        const addr: ChunkAddress = { dataset: uniqueName('large'), partition: hexId(), chunk: hexId() };
        const columns = new Map([['one', randomBytes(MiB)], ['four', randomBytes(4 * MiB)], ['small', bytes('s')]]);
        await store.putChunk(addr, columns);
        const read = await store.getChunkColumns(addr, ['four', 'one', 'small']);
        for (const [col, expected] of columns) expectSameBytes(read.get(col), expected, `column ${col}`);
      });

      it('reads a chunk back with the bucket it was written with, whatever the bucket', async () => {
        const dataset = uniqueName('bucket');
        const partition = hexId();
        const placed = [0, 1, today - 1, today, today + 1, 2 ** 31 - 1].map((bucket) => ({
          addr: { dataset, partition, chunk: hexId(), bucket } satisfies ChunkAddress,
          bytes: randomBytes(64 + (bucket % 100)),
        }));
        await Promise.all(placed.map(({ addr, bytes: b }) => store.putChunk(addr, new Map([['v', b]]))));
        for (const { addr, bytes: b } of placed) expectSameBytes((await store.getChunkColumns(addr, ['v'])).get('v'), b, `bucket ${addr.bucket}`);
      });

      it('keeps its own copy of the bytes it was given', async () => {
        const addr: ChunkAddress = { dataset: uniqueName('chcopy'), partition: hexId(), chunk: hexId() };
        const given = bytes('original');
        await store.putChunk(addr, new Map([['v', given]]));
        given.fill(0);
        expectSameBytes((await store.getChunkColumns(addr, ['v'])).get('v'), bytes('original'), 'v');
      });
    });

    describe('objects', () => {
      it('writes an object whole and reads it back whole or by byte ranges', async () => {
        const ds = uniqueName('obj');
        const object = Uint8Array.from(randomBytes(1.5 * MiB + 7));
        await store.putObject(ds, 'segment', 'aa11bb22', object);
        expectSameBytes((await store.readObject(ds, 'segment', 'aa11bb22'))?.[0], object, 'whole');
        // Ranges anywhere, including across any piece a backend cuts an object into, empty, and at the very end.
        const ranges = [{ offset: 0, length: 10 }, { offset: 262_140, length: 10 }, { offset: 1_000_000, length: 300_000 }, { offset: 5, length: 0 }, { offset: object.length - 3, length: 3 }];
        const read = await store.readObject(ds, 'segment', 'aa11bb22', ranges);
        ranges.forEach((r, i) => expectSameBytes(read?.[i], object.subarray(r.offset, r.offset + r.length), `range ${r.offset}+${r.length}`));
        await expect(store.readObject(ds, 'segment', 'aa11bb22', [{ offset: object.length - 1, length: 2 }])).rejects.toMatchObject({ code: 'STRATA_ERR_CHUNK_CORRUPT' });
      });

      it('answers undefined for an object that does not exist, and lists objects by kind', async () => {
        const ds = uniqueName('objlist');
        expect(await store.readObject(ds, 'segment', '0000aaaa')).toBeUndefined();
        expect(await store.listObjects(ds, 'segment')).toEqual([]);
        await store.putObject(ds, 'segment', 'ffff0001', bytes('b'));
        await store.putObject(ds, 'segment', '0000ffff', bytes('a'));
        await store.putObject(ds, 'checkpoint', '00000000000000000100', bytes('c'));
        expect(await store.listObjects(ds, 'segment')).toEqual(['0000ffff', 'ffff0001']);
        expect(await store.listObjects(ds, 'checkpoint')).toEqual(['00000000000000000100']);
        // A second put of the same object is harmless.
        await store.putObject(ds, 'segment', 'ffff0001', bytes('b'));
        expectSameBytes((await store.readObject(ds, 'segment', 'ffff0001'))?.[0], bytes('b'), 'again');
        expect(await store.readObject(ds, 'checkpoint', 'ffff0001')).toBeUndefined();
      });

      it('deletes objects, ignoring names that do not exist; dropping a dataset deletes its objects', async () => {
        const ds = uniqueName('objdel');
        await store.putVersion(ds, 0, bytes('v0'));
        for (const n of ['00000001', '00000002', '00000003']) await store.putObject(ds, 'segment', n, bytes(n));
        await store.deleteObjects(ds, 'segment', ['00000002', '0000dead']);
        expect(await store.listObjects(ds, 'segment')).toEqual(['00000001', '00000003']);
        expect(await store.readObject(ds, 'segment', '00000002')).toBeUndefined();
        expect(await store.dropDataset(ds)).toBe(true);
        expect(await store.listObjects(ds, 'segment')).toEqual([]);
        expect(await store.readObject(ds, 'segment', '00000001')).toBeUndefined();
      });

      it('refuses names that are not lowercase hex, and keeps its own copy of the bytes', async () => {
        const ds = uniqueName('objname');
        for (const bad of ['../x', 'ABCDEF12', 'abc', 'a'.repeat(65)]) {
          await expect(store.putObject(ds, 'segment', bad, bytes('x'))).rejects.toThrow();
        }
        const given = bytes('original');
        await store.putObject(ds, 'segment', '12345678', given);
        given.fill(0);
        expectSameBytes((await store.readObject(ds, 'segment', '12345678'))?.[0], bytes('original'), 'copy');
      });
    });
  });
}
