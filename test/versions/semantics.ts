/**
 * The version semantics of DESIGN.md ("Semantics that must hold" 1, 2, 4, 5
 * and 6), checked through the public `Strata` facade only, so every store
 * backend can run the same suite.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppendResult, ErrorCode, Strata } from '../../src/index.js';
import { isStrataError, StrataError } from '../../src/index.js';

const T = 'weather';

/** Three rows in two partitions; `day` makes every row (and so every chunk) distinct. */
function csvBatch(day: number, rows = 3): string {
  const lines = ['ts,host,v'];
  for (let i = 0; i < rows; i++) lines.push(`2026-01-${String(day).padStart(2, '0')} 0${i}:00:00,${i % 2 ? 'ny' : 'sea'},${day * 10 + i}`);
  return `${lines.join('\n')}\n`;
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<StrataError> {
  const outcome = await p.then((value) => ({ value }), (error: unknown) => ({ error }));
  if (!('error' in outcome)) throw new Error(`expected an error, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(StrataError);
  return outcome.error as StrataError;
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<StrataError> {
  const e = await rejection(p);
  expect(isStrataError(e, code), `${e.code}: ${e.message}`).toBe(true);
  return e;
}

export function versionSemantics(name: string, openStrata: () => Promise<Strata>, cleanup?: () => Promise<void>): void {
  describe(`version semantics: ${name}`, () => {
    let db: Strata;

    beforeEach(async () => {
      db = await openStrata();
      // Small chunks so one batch makes several chunks in several partitions.
      await db.createDataset(T, {
        columns: [{ name: 'ts', type: 'timestamp' }, { name: 'host', type: 'string' }, { name: 'v', type: 'float64' }],
        partitionKey: ['host'], sortKey: ['ts'], chunkRows: 2,
      });
    });

    afterEach(async () => {
      await db.close();
      await cleanup?.();
    });

    const ingest = (text: string, opts: { writer?: string; seq?: number } = {}, format: 'csv' | 'ndjson' = 'csv'): Promise<AppendResult> =>
      db.ingest(T, text, format, opts);

    const scalar = async (sql: string): Promise<unknown> => (await db.sql(sql)).rows[0]?.[0];
    const count = (at = ''): Promise<unknown> => scalar(`select count(*) from ${T} ${at}`);
    const allRows = async (at = ''): Promise<unknown[][]> => (await db.sql(`select * from ${T} ${at} order by ts, host`)).rows;
    const head = async (): Promise<number> => (await db.describe(T)).version;

    /** What a snapshot holds, in a form `toEqual` compares as sets. */
    const state = async (version?: number) => {
      const s = await db.snapshot(T, version);
      return {
        rows: s.rows,
        chunks: [...s.chunks.keys()].sort(),
        schema: s.schema,
        writers: Object.fromEntries([...s.writers].sort(([a], [b]) => a.localeCompare(b))),
      };
    };

    describe('1. atomic commits', () => {
      it('a CSV batch with a bad value on line N writes nothing and names the line and column', async () => {
        await ingest(csvBatch(1));
        const before = await db.versions(T);
        const bad = 'ts,host,v\n2026-02-01 00:00:00,sea,1\n2026-02-01 01:00:00,ny,2\n2026-02-01 02:00:00,sea,warm\n2026-02-01 03:00:00,ny,4\n';
        const e = await expectCode(ingest(bad), 'STRATA_ERR_BAD_ROW');
        expect(e.details).toMatchObject({ line: 4, column: 'v', value: 'warm' });
        expect(e.message).toMatch(/line 4/);
        expect(e.message).toMatch(/column v/);
        expect(await db.versions(T)).toEqual(before);
        expect(await count()).toBe(3);
      });

      it('an NDJSON batch with a bad value writes nothing and names the line and column', async () => {
        const bad = [
          '{"ts":"2026-02-01 00:00:00","host":"sea","v":1}',
          '{"ts":"not a time","host":"ny","v":2}',
        ].join('\n');
        const e = await expectCode(ingest(bad, {}, 'ndjson'), 'STRATA_ERR_BAD_ROW');
        expect(e.details).toMatchObject({ line: 2, column: 'ts' });
        expect(await head()).toBe(0);
        expect(await count()).toBe(0);
      });

      it('an unknown column writes nothing', async () => {
        await expectCode(ingest('ts,host,v,extra\n2026-02-01,sea,1,2\n'), 'STRATA_ERR_UNKNOWN_COLUMN');
        expect(await head()).toBe(0);
      });

      it('a refused batch does not move its writer: the same seq is accepted once the batch is good', async () => {
        await expectCode(ingest('ts,host,v\n2026-02-01,sea,x\n', { writer: 'w', seq: 1 }), 'STRATA_ERR_BAD_ROW');
        const r = await ingest(csvBatch(1), { writer: 'w', seq: 1 });
        expect(r).toMatchObject({ version: 1, duplicate: false, rows: 3 });
      });
    });

    describe('2. idempotent appends', () => {
      it('a re-sent (writer, seq) is a duplicate naming the version that holds it, and writes nothing', async () => {
        const first = await ingest(csvBatch(1), { writer: 'w', seq: 1 });
        expect(first).toMatchObject({ version: 1, duplicate: false, rows: 3 });
        const again = await ingest(csvBatch(1), { writer: 'w', seq: 1 });
        expect(again).toMatchObject({ version: 1, duplicate: true });
        expect(await head()).toBe(1);
        expect(await count()).toBe(3);
      });

      it('a retry of a committed seq with different content is STRATA_ERR_SEQ_CONFLICT and writes nothing', async () => {
        await ingest(csvBatch(1), { writer: 'w', seq: 1 });
        await ingest(csvBatch(2), { writer: 'w', seq: 2 });
        for (const seq of [2, 1]) {
          const e = await expectCode(ingest(csvBatch(9), { writer: 'w', seq }), 'STRATA_ERR_SEQ_CONFLICT');
          expect(e.details.version).toBe(seq);
        }
        // An older committed seq re-sent as it was is still a duplicate of its own version.
        expect(await ingest(csvBatch(1), { writer: 'w', seq: 1 })).toMatchObject({ version: 1, duplicate: true });
        expect(await head()).toBe(2);
        expect(await count()).toBe(6);
      });

      it('seq numbers may have gaps, and a seq below the newest that was never sent is stored (in any order)', async () => {
        expect(await ingest(csvBatch(1), { writer: 'w', seq: 10 })).toMatchObject({ version: 1, duplicate: false });
        expect(await ingest(csvBatch(2), { writer: 'w', seq: 25 })).toMatchObject({ version: 2, duplicate: false });
        // 17 was never sent: it is new, though below the writer's newest seq (a pipelined batch that arrived late).
        expect(await ingest(csvBatch(3), { writer: 'w', seq: 17 })).toMatchObject({ version: 3, duplicate: false });
        expect(await ingest(csvBatch(3), { writer: 'w', seq: 17 })).toMatchObject({ version: 3, duplicate: true });
        expect(await ingest(csvBatch(4), { writer: 'w', seq: 26 })).toMatchObject({ version: 4, duplicate: false });
        expect((await db.snapshot(T)).writers.get('w')).toMatchObject({ seq: 26, version: 4 });
        expect(await count()).toBe(12);
      });

      it('batches of one writer sent all at once, in any order, are each stored exactly once', async () => {
        const seqs = Array.from({ length: 64 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
        const answers = await Promise.all(seqs.map((seq) => ingest(`ts,host,v\n2026-02-01,h${seq},${seq}\n`, { writer: 'w', seq })));
        expect(answers.every((a) => !a.duplicate)).toBe(true);
        expect(await count()).toBe(64);
        // Every retry is a duplicate naming the version that holds it.
        const retries = await Promise.all(seqs.map((seq) => ingest(`ts,host,v\n2026-02-01,h${seq},${seq}\n`, { writer: 'w', seq })));
        retries.forEach((r, i) => expect(r).toMatchObject({ duplicate: true, version: answers[i]!.version }));
        expect(await count()).toBe(64);
      });

      it('a seq older than the 1,024 kept per writer is refused as unknown, never answered as a duplicate', async () => {
        const seqs = Array.from({ length: 1100 }, (_, i) => i + 1);
        await Promise.all(seqs.map((seq) => ingest(`ts,host,v\n2026-02-01,h,${seq}\n`, { writer: 'w', seq })));
        expect(await count()).toBe(1100);
        const state = (await db.snapshot(T)).writers.get('w')!;
        expect(state.seqs.size).toBe(1024);
        // The oldest seqs are no longer kept: at or below the floor, a seq is refused whether or not it was stored.
        await expectCode(ingest('ts,host,v\n2026-02-01,h,50\n', { writer: 'w', seq: state.floor }), 'STRATA_ERR_SEQ_TOO_OLD');
        await expectCode(ingest('ts,host,v\n2026-02-01,h,0\n', { writer: 'w', seq: 0 }), 'STRATA_ERR_SEQ_TOO_OLD');
        expect(await ingest('ts,host,v\n2026-02-01,h,1100\n', { writer: 'w', seq: 1100 })).toMatchObject({ duplicate: true });
        expect(await ingest('ts,host,v\n2026-02-01,h,1101\n', { writer: 'w', seq: 1101 })).toMatchObject({ duplicate: false });
        expect(await count()).toBe(1101);
      });

      it('writers are independent, and appends without a writer are never deduplicated', async () => {
        await ingest(csvBatch(1), { writer: 'a', seq: 5 });
        expect(await ingest(csvBatch(1), { writer: 'b', seq: 1 })).toMatchObject({ version: 2, duplicate: false });
        expect(await ingest(csvBatch(1))).toMatchObject({ version: 3, duplicate: false });
        expect(await ingest(csvBatch(1))).toMatchObject({ version: 4, duplicate: false });
        expect(await count()).toBe(12);
        const writers = (await db.snapshot(T)).writers;
        expect(writers.get('a')).toMatchObject({ seq: 5, version: 1 });
        expect(writers.get('b')).toMatchObject({ seq: 1, version: 2 });
      });

      it('writer and seq go together', async () => {
        await expectCode(ingest(csvBatch(1), { writer: 'w' }), 'STRATA_ERR_INVALID_ARGUMENT');
        await expectCode(ingest(csvBatch(1), { seq: 1 }), 'STRATA_ERR_INVALID_ARGUMENT');
        await expectCode(ingest(csvBatch(1), { writer: 'w', seq: -1 }), 'STRATA_ERR_INVALID_ARGUMENT');
        expect(await head()).toBe(0);
      });

      it('a true retry is still a duplicate after a column was added', async () => {
        await ingest(csvBatch(1), { writer: 'w', seq: 1 });
        await db.addColumn(T, { name: 'note', type: 'string' });
        expect(await ingest(csvBatch(1), { writer: 'w', seq: 1 })).toMatchObject({ version: 1, duplicate: true });
      });

      it('a seq that a rollback took out of the history is new again, whatever it carries', async () => {
        await ingest(csvBatch(1), { writer: 'w', seq: 1 }); // v1, rolled back below
        await db.rollback(T, 0); // v2: w has no seqs
        await ingest(csvBatch(2), { writer: 'w', seq: 2 }); // v3
        await ingest(csvBatch(3), { writer: 'w', seq: 3 }); // v4
        // seq 1 is not in the current history: stored, as new content, then a duplicate of that.
        expect(await ingest(csvBatch(7), { writer: 'w', seq: 1 })).toMatchObject({ version: 5, duplicate: false });
        expect(await ingest(csvBatch(7), { writer: 'w', seq: 1 })).toMatchObject({ version: 5, duplicate: true });
        await expectCode(ingest(csvBatch(1), { writer: 'w', seq: 1 }), 'STRATA_ERR_SEQ_CONFLICT');
        expect(await count()).toBe(9);
      });
    });

    describe('5. rollback', () => {
      it('is a new version whose snapshot equals the target: rows, chunks, schema and writer positions', async () => {
        await ingest(csvBatch(1), { writer: 'w', seq: 1 }); // v1
        await ingest(csvBatch(2), { writer: 'w', seq: 2 }); // v2
        await ingest(csvBatch(3), { writer: 'x', seq: 7 }); // v3
        const rowsAt1 = await allRows();
        expect(rowsAt1).toHaveLength(9);
        const target = await state(1);

        expect(await db.rollback(T, 1)).toEqual({ version: 4 });
        expect(await state()).toEqual(target);
        expect(await allRows()).toEqual(await allRows('AT (VERSION => 1)'));
        expect(await count()).toBe(3);
        // History is kept: the rolled-back versions are still there to read.
        expect(await count('AT (VERSION => 3)')).toBe(9);
        const v4 = (await db.versions(T))[4]!;
        expect(v4).toMatchObject({ version: 4, kind: 'rollback', rollbackTo: 1, rowsRemoved: 6, writer: null, seq: null });
      });

      it('restores writer positions, so a rolled-back (writer, seq) can be sent again and is accepted', async () => {
        await ingest(csvBatch(1), { writer: 'w', seq: 1 }); // v1
        await ingest(csvBatch(2), { writer: 'w', seq: 2 }); // v2
        await db.rollback(T, 1); // v3
        expect((await db.snapshot(T)).writers.get('w')).toMatchObject({ seq: 1, version: 1 });
        expect(await ingest(csvBatch(2), { writer: 'w', seq: 2 })).toMatchObject({ version: 4, duplicate: false, rows: 3 });
        expect(await allRows()).toEqual(await allRows('AT (VERSION => 2)'));
        // ... and the accepted re-send is itself deduplicated from now on.
        expect(await ingest(csvBatch(2), { writer: 'w', seq: 2 })).toMatchObject({ version: 4, duplicate: true });
        // A rolled-back seq may also come back with other content: it is new again.
        await db.rollback(T, 1); // v5
        expect(await ingest(csvBatch(8), { writer: 'w', seq: 2 })).toMatchObject({ version: 6, duplicate: false });
        expect(await count()).toBe(6);
      });

      it('to version 0 empties the dataset and forgets every writer', async () => {
        await ingest(csvBatch(1), { writer: 'w', seq: 1 });
        await db.rollback(T, 0);
        expect(await state()).toEqual(await state(0));
        expect(await count()).toBe(0);
        expect(await ingest(csvBatch(1), { writer: 'w', seq: 1 })).toMatchObject({ version: 3, duplicate: false });
      });

      it('a rollback can itself be rolled back', async () => {
        await ingest(csvBatch(1), { writer: 'w', seq: 1 }); // v1
        await ingest(csvBatch(2), { writer: 'w', seq: 2 }); // v2
        await ingest(csvBatch(3), { writer: 'w', seq: 3 }); // v3
        await db.rollback(T, 1); // v4 = v1
        await db.rollback(T, 3); // v5 = v3 (undoes the rollback)
        expect(await state(5)).toEqual(await state(3));
        expect(await allRows()).toEqual(await allRows('AT (VERSION => 3)'));
        await db.rollback(T, 4); // v6 = v4 = v1
        expect(await state(6)).toEqual(await state(1));
        expect(await count()).toBe(3);
        expect((await db.versions(T)).map((v) => v.rollbackTo)).toEqual([null, null, null, null, 1, 3, 4]);
        // The writer continues from the restored position.
        expect(await ingest(csvBatch(2), { writer: 'w', seq: 2 })).toMatchObject({ version: 7, duplicate: false });
      });

      it('across an added column restores the older schema', async () => {
        await ingest(csvBatch(1)); // v1
        await db.addColumn(T, { name: 'note', type: 'string' }); // v2
        await ingest('ts,host,v,note\n2026-03-01,sea,1,hi\n'); // v3
        await db.rollback(T, 1); // v4
        expect(await state()).toEqual(await state(1));
        expect((await db.describe(T)).schema.columns.map((c) => c.name)).toEqual(['ts', 'host', 'v']);
        await expectCode(db.sql(`select note from ${T}`), 'STRATA_ERR_SQL_EXECUTION');
        await expectCode(ingest('ts,host,v,note\n2026-03-01,sea,1,hi\n'), 'STRATA_ERR_UNKNOWN_COLUMN');
        // The column can be added again.
        await db.addColumn(T, { name: 'note', type: 'string' });
        expect(await scalar(`select count(note) from ${T}`)).toBe(0);
      });

      it('to a version that does not exist is refused and writes nothing', async () => {
        await ingest(csvBatch(1));
        await expectCode(db.rollback(T, 5), 'STRATA_ERR_VERSION_NOT_FOUND');
        await expectCode(db.rollback(T, -1), 'STRATA_ERR_INVALID_ARGUMENT');
        expect(await head()).toBe(1);
      });
    });

    describe('6. schema evolution', () => {
      it('adding a column is a new version; older chunks read NULL for it', async () => {
        await ingest(csvBatch(1)); // v1: 3 rows
        expect(await db.addColumn(T, { name: 'note', type: 'string' })).toEqual({ version: 2 });
        expect(await db.addColumn(T, { name: 'n', type: 'int64' })).toEqual({ version: 3 });
        await ingest('ts,host,v,note,n\n2026-03-01,sea,1,hi,7\n2026-03-02,ny,2,,8\n'); // v4
        expect(await scalar(`select count(note) from ${T}`)).toBe(1);
        expect(await scalar(`select count(n) from ${T}`)).toBe(2);
        expect(await scalar(`select count(*) from ${T} where note is null`)).toBe(4);
        const nulls = await db.sql(`select note is null, n is null, count(*) from ${T} group by all order by all`);
        expect(nulls.rows).toEqual([[false, false, 1], [true, false, 1], [true, true, 3]]);
        expect(await scalar(`select sum(n) from ${T}`)).toBe(15);
        // The versions before the column keep their schema.
        expect((await db.sql(`select * from ${T} AT (VERSION => 1)`)).columns.map((c) => c.name)).toEqual(['ts', 'host', 'v']);
        expect((await db.sql(`select * from ${T} AT (VERSION => 2)`)).columns.map((c) => c.name)).toEqual(['ts', 'host', 'v', 'note']);
      });

      it('adding a column that exists is refused and writes nothing', async () => {
        await expectCode(db.addColumn(T, { name: 'v', type: 'int32' }), 'STRATA_ERR_COLUMN_EXISTS');
        expect(await head()).toBe(0);
      });
    });

    describe('4. time travel', () => {
      it('AT (VERSION => n) reads each version as it was committed', async () => {
        await ingest(csvBatch(1, 1));
        await ingest(csvBatch(2, 2));
        await ingest(csvBatch(3, 3));
        for (const [v, rows] of [[0, 0], [1, 1], [2, 3], [3, 6]] as const) expect(await count(`AT (VERSION => ${v})`), `version ${v}`).toBe(rows);
        expect(await scalar(`select (select count(*) from ${T} AT (VERSION => 1)) + (select count(*) from ${T})`)).toBe(7);
        expect(await scalar(`select count(*) from ${T} a AT (VERSION => 2) join ${T} b on a.ts = b.ts and a.host = b.host`)).toBe(3);
        await expectCode(db.sql(`select count(*) from ${T} AT (VERSION => 4)`), 'STRATA_ERR_VERSION_NOT_FOUND');
      });

      it('AT (TIMESTAMP => ...) reads the newest version committed at or before that time', async () => {
        // Commit times have millisecond precision: keep the commits apart.
        for (const day of [1, 2, 3]) { await sleep(5); await ingest(csvBatch(day)); }
        const versions = await db.versions(T);
        const sqlTime = (iso: string): string => `TIMESTAMP '${iso.replace('T', ' ').replace('Z', '')}'`;
        for (const v of versions) {
          expect(await count(`AT (TIMESTAMP => ${sqlTime(v.time)})`), `at the time of version ${v.version}`).toBe(v.version * 3);
        }
        const justBefore3 = new Date(Date.parse(versions[3]!.time) - 1).toISOString();
        expect(await count(`AT (TIMESTAMP => ${sqlTime(justBefore3)})`)).toBe(6);
        expect(await count(`AT (TIMESTAMP => TIMESTAMP '9999-01-01 00:00:00')`)).toBe(9);
        await expectCode(db.sql(`select count(*) from ${T} AT (TIMESTAMP => TIMESTAMP '2000-01-01 00:00:00')`), 'STRATA_ERR_VERSION_NOT_FOUND');
      });
    });

    describe('version numbering', () => {
      it('numbers versions 0..n without gaps, each with its kind', async () => {
        await ingest(csvBatch(1), { writer: 'w', seq: 3 });
        await ingest(csvBatch(1), { writer: 'w', seq: 3 }); // duplicate: no version
        await ingest(csvBatch(2));
        await db.addColumn(T, { name: 'note', type: 'string' });
        await db.rollback(T, 2);
        const versions = await db.versions(T);
        expect(versions.map((v) => v.version)).toEqual([0, 1, 2, 3, 4]);
        expect(versions.map((v) => v.kind)).toEqual(['create', 'append', 'append', 'add_column', 'rollback']);
        expect(versions[1]).toMatchObject({ writer: 'w', seq: 3, rowsAdded: 3, rowsRemoved: 0 });
        expect(versions[2]).toMatchObject({ writer: null, seq: null, rowsAdded: 3 });
        expect(versions[4]).toMatchObject({ rollbackTo: 2, rowsAdded: 0, rowsRemoved: 0 });
        const times = versions.map((v) => Date.parse(v.time));
        expect(times).toEqual([...times].sort((a, b) => a - b));
      });

      // Known bug (see the report): two chunks of one batch with equal content get the same id;
      // the commit is written and then every read of the dataset fails an invariant.
      it('a batch whose chunks have equal content commits whole and stays readable', async () => {
        await db.createDataset('flat', { columns: [{ name: 'v', type: 'int32' }], chunkRows: 2 });
        const r = await db.ingest('flat', 'v\n1\n1\n1\n1\n', 'csv');
        expect(r).toMatchObject({ version: 1, rows: 4 });
        expect(await scalar('select count(*) from flat')).toBe(4);
      });
    });
  });
}
