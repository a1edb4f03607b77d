/**
 * A query result as an Arrow IPC stream (Accept: application/vnd.apache.arrow.stream),
 * typed from DuckDB's result types: integers, doubles, booleans, strings and
 * timestamps map to their Arrow types; anything else travels as its JSON text.
 */
import * as A from 'apache-arrow';
import type { QueryResult } from '../sql/query.js';

function column(type: string, values: unknown[]): A.Vector {
  const nullable = <T>(f: (v: unknown) => T) => values.map((v) => (v === null || v === undefined ? null : f(v)));
  switch (type) {
    case 'BOOLEAN': return A.vectorFromArray(nullable((v) => Boolean(v)), new A.Bool());
    case 'TINYINT': case 'SMALLINT': case 'INTEGER': return A.vectorFromArray(nullable((v) => Number(v)), new A.Int32());
    case 'BIGINT': case 'HUGEINT': case 'UBIGINT': return A.vectorFromArray(nullable((v) => BigInt(String(v))), new A.Int64());
    case 'DOUBLE': case 'FLOAT': return A.vectorFromArray(nullable((v) => Number(v)), new A.Float64());
    case 'VARCHAR': return A.vectorFromArray(nullable((v) => String(v)), new A.Utf8());
    case 'TIMESTAMP': return A.vectorFromArray(nullable((v) => Date.parse(`${String(v).replace(' ', 'T')}Z`)), new A.TimestampMillisecond());
    default:
      if (type.startsWith('DECIMAL')) return A.vectorFromArray(nullable((v) => Number(v)), new A.Float64());
      return A.vectorFromArray(nullable((v) => (typeof v === 'string' ? v : JSON.stringify(v))), new A.Utf8());
  }
}

export function resultToArrow(r: QueryResult): Uint8Array {
  const vectors: Record<string, A.Vector> = {};
  r.columns.forEach((c, i) => { vectors[c.name] = column(c.type, r.rows.map((row) => row[i])); });
  return A.tableToIPC(new A.Table(vectors), 'stream');
}
