/** A plain (unsandboxed) DuckDB to compute reference answers from the same rows. */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { JsonValue } from '../../src/sql/query.js';
import { normalizeJson } from '../../src/sql/result-json.js';

export async function referenceDuckDB(): Promise<{ con: DuckDBConnection; close: () => void }> {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  await con.run("SET TimeZone = 'UTC'");
  return { con, close: () => { con.closeSync(); instance.closeSync(); } };
}

/** Rows as JSON values, numbers normalized the way Strata's results are. */
export async function referenceRows(con: DuckDBConnection, sql: string): Promise<unknown[][]> {
  const r = await con.runAndReadAll(sql);
  const types = r.columnTypes();
  return (r.getRowsJson() as JsonValue[][]).map((row) => row.map((v, i) => normalizeJson(v, types[i]!)));
}
