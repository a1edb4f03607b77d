/**
 * Texts that differ only in string constants share one parse: the shared
 * parse must equal DuckDB's own parse of each text, and answers must follow
 * each text's own constants (quotes, comment markers and quoted identifiers
 * inside or beside literals included).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';
import { cutLiterals, parseShared } from '../../src/sql/literal-template.js';
import { parseQuery } from '../../src/sql/parse-tree.js';

describe('cutting a query at its string literals', () => {
  it('cuts quoted values and keeps everything else', () => {
    expect(cutLiterals("select 'a''b' as x, \"q'\" from t -- 'c'\nwhere k = 'd'")).toEqual({
      parts: ['select ', ' as x, "q\'" from t -- \'c\'\nwhere k = ', ''],
      literals: ["a'b", 'd'],
    });
  });
  it('leaves to DuckDB what it cannot read with certainty', () => {
    for (const sql of ["select E'a\\n'", "select X'00'", "select 'a' /* 'b' */", 'select $$a$$', "select 'é'", "select 'open", 'select 1', "select 'a\tb'"]) {
      expect(cutLiterals(sql), sql).toBeNull();
    }
  });
});

describe('a parse shared by texts that differ only in string constants', () => {
  let con: DuckDBConnection;
  beforeAll(async () => { con = await (await DuckDBInstance.create(':memory:')).connect(); });

  const strip = (tree: unknown): string => JSON.stringify(tree, (k, v) => (k === 'query_location' ? undefined : v));
  const shapes = [
    (a: string, b: string) => `select * from t where k = '${a}' and ts >= timestamp '${b}' and v > 90.0`,
    (a: string, b: string) => `select date_trunc('minute', ts) as m, max(v) from t where k in ('${a}', '${b}') group by m order by m`,
    (a: string, b: string) => `select '${a}' || k as x from t where k like '${b}' escape '!' and ts < now() - interval '1 hour'`,
    (a: string, b: string) => `select count(*) from t at (version => '${a}') where "weird'name" = '${b}' -- 'tail'`,
  ];
  const values: [string, string][] = [['host_1', '2016-01-01 00:00:00'], ["it''s", '--not a comment'], ['', '/* no */'], ['"', "a''b''c"]];
  for (const [n, shape] of shapes.entries()) {
    it(`shape ${n} parses like DuckDB for every constant`, async () => {
      for (const [a, b] of values) {
        const sql = shape(a, b);
        const shared = await parseShared(con, sql);
        const own = await parseQuery(con, sql);
        expect(strip(shared.shape.parsed.plain), sql).toBe(strip(own.parsed.plain));
        expect(shared.shape.tables.map((t) => t.table)).toEqual(own.tables.map((t) => t.table));
      }
    });
  }

  it('does not share where DuckDB joins or reinterprets the literals', async () => {
    for (const sql of ["select 'a'\n'b' as x", "select count(*) from 'file.csv'", "select 1 as 'alias'"]) {
      const shared = await parseShared(con, sql).catch(() => null);
      if (shared) expect(shared.shared, sql).toBeNull();
    }
  });

  it('reports a parse error of the text itself', async () => {
    await expect(parseShared(con, "select 'a' frm t")).rejects.toMatchObject({ code: 'STRATA_ERR_SQL_PARSE' });
  });
});

describe('answers of queries that share a parse', () => {
  let db: Strata;
  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:' });
    await db.createDataset('t', { columns: parseColumns('k:string,v:int64'), partitionKey: ['k'] });
    await db.ingest('t', 'k,v\na,1\nb,2\n"it\'s",3\n--x,4\n\'\',5\n', 'csv');
  });
  afterAll(() => db.close());

  it('follow each text\'s own constants, on the engine path and through DuckDB', async () => {
    const keys = ['a', 'b', "it''s", '--x', "''''", 'zz', 'a'];
    for (const k of keys) {
      const value = k.replaceAll("''", "'");
      const expected = { a: 1, b: 2, "it's": 3, '--x': 4, "''": 5 }[value] ?? null;
      const agg = await db.sql(`select sum(v) from t where k = '${k}'`);
      expect(agg.rows, k).toEqual([[expected]]);
      const rows = await db.sql(`select k, v, '${k}' as echo from t where k = '${k}' order by v`);
      expect(rows.rows, k).toEqual(expected === null ? [] : [[value, expected, value]]);
    }
  });
});
