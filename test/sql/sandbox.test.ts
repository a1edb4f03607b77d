/** Nothing a query can say reaches a file, the network, an extension or the configuration. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';

describe('the SQL sandbox', () => {
  let db: Strata;
  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:' });
    await db.createDataset('t', { columns: parseColumns('a:int32,b:string') });
    await db.ingest('t', 'a,b\n1,x\n2,y\n', 'csv');
  });
  afterAll(() => db.close());

  const refusedAtParse = [
    "copy (select 1) to '/tmp/strata-sandbox-escape.csv'",
    "attach '/tmp/strata-sandbox-escape.db' as x",
    'install httpfs',
    'load httpfs',
    'set threads = 1',
    "set enable_external_access = true",
    "pragma database_list",
    'call pragma_version()',
    "export database '/tmp/strata-sandbox-escape'",
    'create table x (a int)',
    'insert into t values (3, 3)',
    'drop table t',
    'select 1; select 2',
  ];
  for (const sql of refusedAtParse) {
    it(`refuses: ${sql}`, async () => {
      await expect(db.sql(sql)).rejects.toMatchObject({ code: 'STRATA_ERR_SQL_READ_ONLY' });
    });
  }

  const refusedByDuckDB = [
    "select * from read_csv('/etc/passwd')",
    "select * from read_text('/etc/passwd')",
    "select * from read_parquet('/etc/passwd')",
    "select * from read_json('/etc/passwd')",
    "select * from glob('/etc/*')",
    "select * from read_csv('http://127.0.0.1:1/x.csv')",
    "select * from '/etc/passwd'",
    // DuckDB's own temporary directory is open to it even with external access off; Strata has none.
    "select * from glob('.tmp/**')",
    `select * from glob('${process.cwd()}/.tmp/**')`,
    "select * from read_csv('.tmp/x.csv')",
    "select current_setting('lock_configuration') and false or (select count(*) from read_blob('/etc/hostname')) > 0",
  ];
  for (const sql of refusedByDuckDB) {
    it(`refuses: ${sql}`, async () => {
      await expect(db.sql(sql)).rejects.toMatchObject({ code: 'STRATA_ERR_SQL_EXECUTION' });
    });
  }

  it('keeps the configuration locked and file access off', async () => {
    const r = await db.sql("select current_setting('lock_configuration') as locked, current_setting('enable_external_access') as ext, current_setting('autoload_known_extensions') as autoload");
    expect(r.rows).toEqual([[true, false, false]]);
  });

  it('does not let strata_scan be called directly', async () => {
    await expect(db.sql("select * from strata_scan('0123456789abcdef01234567')")).rejects.toMatchObject({ code: 'STRATA_ERR_SQL_EXECUTION' });
  });

  it('still answers read-only queries', async () => {
    expect((await db.sql('select sum(a) as s from t')).rows).toEqual([[3]]);
  });
});
