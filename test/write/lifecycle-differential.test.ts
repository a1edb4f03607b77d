/**
 * Differential test of deletes and reverts: random histories (appends,
 * deletes by predicates the engine evaluates and ones only DuckDB does,
 * reverts of every kind, rollbacks, compactions, a tag and a vacuum), then
 * every query at every kept version answered by Strata must equal DuckDB's
 * own answer over the rows the revert rule says are live there. Which rows
 * a delete takes is DuckDB's verdict too, over the live rows of its time.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Strata, isStrataError, parseColumns } from '../../src/index.js';
import type { Rec } from '../helpers/effect-model.js';
import { liveOf } from '../helpers/effect-model.js';
import { sameRows } from '../helpers/compare.js';
import { seededRandom } from '../helpers/random.js';
import { referenceDuckDB, referenceRows } from '../helpers/reference.js';

interface Row { id: number; host: string; ts: number; v: number | null; n: number | null }

const predicates = [
  (k: number) => `n = ${k % 5}`,
  (k: number) => `v > ${(k % 10) * 10}`,
  (k: number) => `host = 'h${k % 3}' and n < ${k % 4}`,
  (k: number) => `id % 7 = ${k % 7}`,
  () => 'v is null',
  (k: number) => `ts < timestamp '2024-01-01 00:00:00' + interval ${k % 2000} minute`,
  (k: number) => `lower(host) = 'h${k % 3}' and n is not null`,
  (k: number) => `coalesce(n, -1) * 2 >= ${k % 6}`,
  (k: number) => `ts > timestamp '2024-01-01 00:00:00' + interval ${k % 2000} minute and n <> ${k % 3}`,
];

const queries = [
  'select count(*), sum(n), min(v), max(v), count(v) from T',
  'select host, count(*), sum(v), max(ts) from T group by host order by host',
  'select * from T order by id',
  'select count(*) from T where n > 1',
  "select date_trunc('hour', ts) as h, count(*), avg(n) from T group by 1 order by 1",
  'select host, ts, v from T where v is not null order by v desc, id limit 7',
  'select distinct on (host) host, ts, id from T order by host, ts desc',
  'select host, max(ts), min(ts) from T group by host order by host',
];

const typesSql = "{'id':'BIGINT','host':'VARCHAR','ts':'TIMESTAMP','v':'DOUBLE','n':'INTEGER'}";

const scratch = mkdtempSync(path.join(tmpdir(), 'strata-lifecycle-'));

/** A DuckDB table holding exactly these rows. */
async function loadReference(con: DuckDBConnection, name: string, rows: Row[]): Promise<void> {
  const file = path.join(scratch, `${name}.json`);
  writeFileSync(file, JSON.stringify(rows.map((r) => ({ ...r, ts: new Date(r.ts).toISOString() }))));
  await con.run(`CREATE OR REPLACE TABLE ${name} AS SELECT * FROM read_json('${file}', format = 'array', columns = ${typesSql})`);
}

describe('deletes and reverts against DuckDB', () => {
  let ref: Awaited<ReturnType<typeof referenceDuckDB>>;
  beforeAll(async () => { ref = await referenceDuckDB(); });
  afterAll(() => ref.close());

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
    it(`random history ${seed}: every query at every kept version`, async () => {
      const rnd = seededRandom(seed);
      // Odd seeds keep a commit's small partitions in mixed chunks, even ones give every partition chunks of its own.
      const db = await Strata.open({ store: 'memory:', limits: { compactionIdleMs: 0, ...(seed % 2 === 0 ? { mixedChunkPartitionRowsMax: 0 } : {}) } });
      await db.createDataset('t', { columns: parseColumns('id:int64,host:string,ts:timestamp,v:float64,n:int32'), partitionKey: ['host'], sortKey: ['ts'], chunkRows: 40 });
      const recs: Rec[] = [{ kind: 'create' }];
      const rowsById = new Map<string, Row>();
      const liveRows = (ids: Set<string>): Row[] => [...ids].map((i) => rowsById.get(i)!);
      let nextId = 1;
      const expectVersion = (v: number): void => expect(v, 'the version the store committed').toBe(recs.length - 1);
      for (let step = 0; step < 30; step++) {
        const r = rnd();
        const head = recs.length - 1;
        if (r < 0.4 || head === 0) {
          const n = 5 + Math.floor(rnd() * 90);
          const rows: Row[] = Array.from({ length: n }, () => ({
            id: nextId, host: `h${Math.floor(rnd() * 3)}`, ts: Date.UTC(2024, 0, 1) + ((nextId++ * 7919) % 3001) * 60_000, // distinct (no ties for last points), out of order
            v: rnd() < 0.15 ? null : Math.round(rnd() * 1000) / 10, n: rnd() < 0.2 ? null : Math.floor(rnd() * 6),
          }));
          const res = await db.ingest('t', rows.map((x) => JSON.stringify({ ...x, ts: new Date(x.ts).toISOString() })).join('\n'), 'ndjson');
          recs.push({ kind: 'append', ids: rows.map((x, i) => { rowsById.set(`${res.version}:${i}`, x); return `${res.version}:${i}`; }) });
          expectVersion(res.version);
        } else if (r < 0.62) {
          const where = predicates[Math.floor(rnd() * predicates.length)]!(Math.floor(rnd() * 1000));
          // DuckDB says which live rows match.
          const live = [...liveOf(recs)];
          await loadReference(ref.con, 'live', live.map((i) => rowsById.get(i)!));
          const hitIds = new Set((await referenceRows(ref.con, `select id from live where ${where}`)).map((x) => Number(x[0])));
          const res = await db.delete('t', where);
          const deleted = new Set(live.filter((i) => hitIds.has(rowsById.get(i)!.id)));
          expect(res.rows, `rows deleted by ${where}`).toBe(deleted.size);
          recs.push({ kind: 'delete', deleted });
          expectVersion(res.version);
        } else if (r < 0.85) {
          const x = Math.max(1, head - Math.floor(rnd() * 5));
          try {
            const res = await db.revert('t', x);
            recs.push({ kind: 'revert', target: x });
            expectVersion(res.version);
          } catch (e) {
            // Only a version already withdrawn, or one that changed no rows, may be refused here (nothing is vacuumed yet).
            if (!isStrataError(e, 'STRATA_ERR_NOTHING_TO_REVERT')) throw e;
          }
        } else if (r < 0.92) {
          const to = Math.floor(rnd() * head);
          const res = await db.rollback('t', to);
          recs.push({ kind: 'rollback', to });
          expectVersion(res.version);
        } else {
          const res = await db.compact('t');
          if (res.version !== null) { recs.push({ kind: 'compact' }); expectVersion(res.version); }
        }
      }
      const head = recs.length - 1;
      const tagged = Math.max(1, head - 10);
      await db.tag('t', 'keep', tagged);
      const check = async (v: number): Promise<void> => {
        await loadReference(ref.con, 'T', liveRows(liveOf(recs.slice(0, v + 1))));
        for (const q of queries) {
          const expected = await referenceRows(ref.con, q);
          const actual = (await db.sql(q.replace(/\bT\b/g, `t AT (VERSION => ${v})`))).rows;
          expect(sameRows(actual, expected), `${q} at version ${v} of ${head}:\n${JSON.stringify(actual).slice(0, 400)}\n${JSON.stringify(expected).slice(0, 400)}`).toBe(true);
        }
      };
      for (let v = 0; v <= head; v++) await check(v);
      // Compaction and a vacuum keeping no history change no answer at what is kept: the head and the tagged version.
      if ((await db.compact('t')).version !== null) recs.push({ kind: 'compact' });
      await db.vacuum('t', { retainMs: 0, graceMs: 0 });
      await check(recs.length - 1);
      await check(tagged);
      await db.close();
    }, 120_000);
  }
});
