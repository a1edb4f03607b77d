/**
 * A query answer as an Arrow IPC stream (Accept: application/vnd.apache.arrow.stream),
 * written batch by batch as the answer is read. Types follow DuckDB's result
 * types: 8- to 32-bit integers Int32, BIGINT Int64, UBIGINT Uint64, FLOAT and
 * DOUBLE (and DECIMAL) Float64, BOOLEAN Bool, VARCHAR Utf8, DATE DateDay,
 * TIMESTAMP (and WITH TIME ZONE, as UTC) microsecond timestamps; anything else
 * travels as its JSON text. Values come from DuckDB's own vectors (bigint
 * micros and integers), so nothing is lost on the way.
 *
 * The stream is framed by hand from whole-stream encodings: the schema
 * message once, then each batch's record-batch message, then the
 * end-of-stream marker.
 */
import * as A from 'apache-arrow';
import type { DuckDBType } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import type { ResultBatch } from '../sql/query.js';

type Storage = 'i32' | 'i64' | 'u64' | 'f64' | 'bool' | 'utf8';

interface ColumnPlan {
  type: A.DataType;
  storage: Storage;
  /** The stored value (number, bigint, boolean or string) from DuckDB's value or (engine answers) its JSON form. */
  convert: (value: unknown, json: unknown) => unknown;
}

const endOfStream = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** Exact microseconds of DuckDB's JSON timestamp text `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
function microsFromText(text: string): bigint {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?/.exec(text);
  if (!m) return BigInt(Math.round(Date.parse(text) * 1000));
  const date = new Date(0);
  date.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  date.setUTCHours(Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), 0);
  return BigInt(date.getTime()) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0'));
}

const jsonText = (v: unknown, json: unknown): string => (typeof json === 'string' ? json : JSON.stringify(json ?? v));

function plan(type: DuckDBType): ColumnPlan {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN: return { type: new A.Bool(), storage: 'bool', convert: (v, j) => Boolean(v ?? j) };
    case DuckDBTypeId.TINYINT: case DuckDBTypeId.SMALLINT: case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT: case DuckDBTypeId.USMALLINT:
      return { type: new A.Int32(), storage: 'i32', convert: (v, j) => Number(v ?? j) };
    case DuckDBTypeId.UINTEGER: case DuckDBTypeId.BIGINT:
      return { type: new A.Int64(), storage: 'i64', convert: (v, j) => (typeof v === 'bigint' ? v : BigInt((v ?? j) as number)) };
    case DuckDBTypeId.UBIGINT:
      return { type: new A.Uint64(), storage: 'u64', convert: (v, j) => (typeof v === 'bigint' ? v : BigInt(j as string)) };
    case DuckDBTypeId.FLOAT: case DuckDBTypeId.DOUBLE:
      return { type: new A.Float64(), storage: 'f64', convert: (v, j) => (typeof v === 'number' ? v : Number(j)) };
    case DuckDBTypeId.DECIMAL: return { type: new A.Float64(), storage: 'f64', convert: (_v, j) => Number(j) };
    case DuckDBTypeId.VARCHAR: return { type: new A.Utf8(), storage: 'utf8', convert: (v, j) => String(v ?? j) };
    case DuckDBTypeId.DATE:
      return { type: new A.DateDay(), storage: 'i32', convert: (v, j) => (v && typeof v === 'object' && 'days' in v ? Number(v.days) : Date.parse(`${String(j)}T00:00:00Z`) / 86_400_000) };
    case DuckDBTypeId.TIMESTAMP: case DuckDBTypeId.TIMESTAMP_TZ: {
      const micros = (v: unknown, j: unknown): bigint => (v && typeof v === 'object' && 'micros' in v ? (v.micros as bigint) : microsFromText(String(j)));
      return { type: new A.TimestampMicrosecond(type.typeId === DuckDBTypeId.TIMESTAMP_TZ ? 'UTC' : null), storage: 'i64', convert: micros };
    }
    default: return { type: new A.Utf8(), storage: 'utf8', convert: jsonText };
  }
}

/** One column's Arrow data, written straight into typed arrays (no per-value conversion by a builder). */
function columnData(p: ColumnPlan, n: number, at: (r: number) => unknown): A.Data {
  if (p.storage === 'utf8') return A.vectorFromArray(Array.from({ length: n }, (_, r) => at(r) as string | null), new A.Utf8()).data[0]!;
  const valid = new Uint8Array(Math.ceil(n / 8));
  const data = p.storage === 'i32' ? new Int32Array(n) : p.storage === 'i64' ? new BigInt64Array(n)
    : p.storage === 'u64' ? new BigUint64Array(n) : p.storage === 'f64' ? new Float64Array(n) : new Uint8Array(Math.ceil(n / 8));
  let nullCount = 0;
  for (let r = 0; r < n; r++) {
    const v = at(r);
    if (v === null) { nullCount++; continue; }
    valid[r >>> 3]! |= 1 << (r & 7);
    if (p.storage === 'bool') { if (v) (data as Uint8Array)[r >>> 3]! |= 1 << (r & 7); } else (data as { [i: number]: unknown })[r] = v;
  }
  return A.makeData({ type: p.type, length: n, nullCount, nullBitmap: valid, data } as Parameters<typeof A.makeData>[0]) as A.Data;
}

export class ArrowResultWriter {
  private readonly plans: ColumnPlan[];
  private readonly schema: A.Schema;
  private readonly prefixBytes: number;

  constructor(names: readonly string[], types: readonly DuckDBType[]) {
    this.plans = types.map(plan);
    // Repeated names are legal in SQL answers, but an Arrow schema reader wants distinct ones.
    const seen = new Map<string, number>();
    const unique = names.map((n) => { const k = seen.get(n) ?? 0; seen.set(n, k + 1); return k === 0 ? n : `${n}_${k}`; });
    this.schema = new A.Schema(this.plans.map((p, i) => new A.Field(unique[i]!, p.type, true)));
    this.prefixBytes = this.start().length;
  }

  /** The stream's opening: its schema message. */
  start(): Uint8Array {
    const whole = A.tableToIPC(new A.Table(this.schema), 'stream');
    return whole.subarray(0, whole.length - endOfStream.length);
  }

  /** One record-batch message for these rows. */
  batch(b: ResultBatch): Uint8Array {
    const values = b.values?.();
    const n = b.rows.length;
    const children = this.plans.map((p, c) => columnData(p, n, (r) => {
      const json = b.rows[r]![c];
      return json === null ? null : p.convert(values?.[c]?.[r] ?? null, json);
    }));
    const batch = new A.RecordBatch(this.schema, A.makeData({ type: new A.Struct(this.schema.fields), length: n, nullCount: 0, children }));
    const whole = A.tableToIPC(new A.Table([batch]), 'stream');
    return whole.subarray(this.prefixBytes, whole.length - endOfStream.length);
  }

  end(): Uint8Array { return endOfStream; }
}
