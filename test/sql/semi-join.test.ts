/**
 * Joins with a derived table that contributes only its key run as a
 * semi-join (the derived table first, then an IN list the scan applies):
 * answers equal DuckDB's over the same rows, with string keys holding
 * quotes and accents, int64 keys beyond 2^53 and NULLs; and every shape the
 * rewrite must not touch (repeated keys, NULL keys, no keys, the derived
 * table read elsewhere, outer joins) runs as written, with DuckDB's answer.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';
import { sameRows } from '../helpers/compare.js';
import { referenceDuckDB, referenceRows } from '../helpers/reference.js';
import { seededRandom } from '../helpers/random.js';

describe('joins run as semi-joins', () => {
  let db: Strata;
  let ref: Awaited<ReturnType<typeof referenceDuckDB>>;

  let store = '';

  beforeAll(async () => {
    const rand = seededRandom(7);
    const keys = ['a', "o'hare", 'é-ü', 'b', 'c', ''];
    const lines = Array.from({ length: 6000 }, () => {
      const maybe = <T>(v: T): T | null => (rand() < 0.08 ? null : v);
      return JSON.stringify({
        k: maybe(keys[Math.floor(rand() * rand() * keys.length)]),
        n: maybe(String(2n ** 53n + BigInt(Math.floor(rand() * 40)))),
        g: maybe(Math.floor((rand() - 0.3) * 30)),
        s: maybe(`s${Math.floor(rand() * 12)}`),
      });
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'strata-semi-'));
    const file = path.join(dir, 'rows.ndjson');
    writeFileSync(file, lines.join('\n'));
    store = path.join(dir, 'store');
    db = await Strata.open({ store });
    await db.createDataset('t', { columns: parseColumns('k:string,n:int64,g:int32,s:string'), partitionKey: ['k'], chunkRows: 700 });
    for (const part of [lines.slice(0, 2500), lines.slice(2500)]) await db.ingest('t', part.join('\n'), 'ndjson');
    ref = await referenceDuckDB();
    await ref.con.run(`create table t as select * from read_json('${file}', format='newline_delimited', columns={'k':'VARCHAR','n':'BIGINT','g':'INTEGER','s':'VARCHAR'})`);
  });
  afterAll(async () => { await db.close(); ref.close(); });

  const rewritten = [
    'select a.k, count(*) from t a join (select k from t where k is not null group by k having count(*) > 300) d on a.k = d.k group by 1 order by 1',
    "select a.g, sum(a.n), count(*) from t a join (select g from t where s >= 's5' and g is not null group by g) d on d.g = a.g where a.s is not null group by 1 order by 1",
    'select count(*), sum(t.g) from t join (select n from t where n > 9007199254741010 group by n) big on t.n = big.n',
    "select a.s, count(*) from t a join (select s as s from t where s is not null and k <> 'a' group by s) d on a.s = d.s group by 1 order by 1",
  ];
  const asWritten = [
    // Repeated keys: each outer row once per match.
    'select count(*) from t a join (select k from t where g > 10 and k is not null) d on a.k = d.k',
    // The derived table read outside the condition.
    'select d.k, count(*) from t a join (select k from t group by k) d on a.k = d.k group by 1 order by 1',
    // An outer join keeps rows without a match.
    'select a.k, count(d.k) from t a left join (select k from t group by k having count(*) > 300) d on a.k = d.k group by 1 order by 1 nulls first',
    // No keys, and a NULL key.
    'select count(*) from t a join (select k from t group by k having count(*) > 1000000) d on a.k = d.k',
    'select count(*) from t a join (select s from t group by s) d on a.s = d.s',
  ];

  for (const [q, semi] of [...rewritten.map((q) => [q, true] as const), ...asWritten.map((q) => [q, false] as const)]) {
    it(`${semi ? 'semi-join' : 'as written'}: ${q}`, async () => {
      const ours = await db.sql(q);
      const theirs = await referenceRows(ref.con, q);
      expect(sameRows(ours.rows, theirs), `${JSON.stringify(ours.rows)}\n!=\n${JSON.stringify(theirs)}`).toBe(true);
      expect(ours.explain.semiJoinKeys !== undefined, JSON.stringify(ours.explain)).toBe(semi);
      // The scan applies the IN list; int64 constants beyond 2^53 are not pushed down yet, so DuckDB filters those.
      if (semi && !q.includes('9007199254741010')) expect(ours.explain.path).not.toBe('duckdb-scan');
      // The same answer with the engine off (DuckDB runs the join).
      expect(sameRows((await db.sql(q, { engine: false })).rows, theirs)).toBe(true);
    });
  }

  it('a derived table with more keys than resultRowsMax allows: the join runs as written', async () => {
    const small = await Strata.open({ store, limits: { resultRowsMax: 3 } });
    try {
      const q = 'select count(*) from t a join (select g from t where g is not null group by g) d on a.g = d.g';
      const ours = await small.sql(q);
      expect(ours.rows).toEqual(await referenceRows(ref.con, q));
      expect(ours.explain.semiJoinKeys).toBeUndefined();
    } finally {
      await small.close();
    }
  });
});
