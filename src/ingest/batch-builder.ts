/**
 * Accumulates a batch column by column while it is parsed, validating each
 * value as it arrives. The first bad value aborts the whole batch with an
 * error that names the line (or row), the column and the reason, so nothing
 * of a bad batch is ever written.
 */
import type { Batch, BatchColumn } from '../chunk/batch.js';
import { StrataError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { ColumnType, DatasetSchema } from '../schema/schema.js';
import type { Parsed } from './values.js';
import {
  fromJsBool, fromJsFloat64, fromJsInt32, fromJsInt64, fromJsString, fromJsTimestamp,
  parseBoolText, parseFloat64Text, parseInt32Text, parseInt64Text, parseTimestampText,
} from './values.js';

type Typed = Float64Array | Int32Array | BigInt64Array | Uint8Array;

class ColumnBuilder {
  values: Typed | (string | null)[];
  isNull: Uint8Array;

  constructor(readonly name: string, readonly type: ColumnType) {
    this.isNull = new Uint8Array(1024);
    this.values = ColumnBuilder.alloc(type, 1024);
  }

  private static alloc(type: ColumnType, n: number): Typed | (string | null)[] {
    switch (type) {
      case 'float64': case 'timestamp': return new Float64Array(n);
      case 'int32': return new Int32Array(n);
      case 'int64': return new BigInt64Array(n);
      case 'bool': return new Uint8Array(n);
      case 'string': return [];
    }
  }

  grow(rows: number): void {
    if (rows <= this.isNull.length) return;
    const cap = Math.max(rows, this.isNull.length * 2);
    const isNull = new Uint8Array(cap);
    isNull.set(this.isNull);
    this.isNull = isNull;
    if (!Array.isArray(this.values)) {
      const v = ColumnBuilder.alloc(this.type, cap) as Typed;
      (v as Float64Array).set(this.values as Float64Array);
      this.values = v;
    }
  }

  finish(rows: number): BatchColumn {
    const isNull = this.isNull.subarray(0, rows);
    if (Array.isArray(this.values)) {
      const values = this.values;
      for (let i = values.length; i < rows; i++) values.push(null);
      return { type: 'string', values, isNull };
    }
    const values = this.values.subarray(0, rows);
    return { type: this.type, values, isNull } as BatchColumn;
  }
}

const textParsers: Record<Exclude<ColumnType, 'string'>, (s: string) => Parsed<number | bigint>> = {
  bool: parseBoolText, int32: parseInt32Text, int64: parseInt64Text, float64: parseFloat64Text, timestamp: parseTimestampText,
};
const jsParsers: Record<ColumnType, (v: unknown) => Parsed<number | bigint | string>> = {
  bool: fromJsBool, int32: fromJsInt32, int64: fromJsInt64, float64: fromJsFloat64, timestamp: fromJsTimestamp, string: fromJsString,
};

/** Where a value came from, for error messages: a 1-based line (text formats) or row (Arrow). */
export type Place = { line: number } | { row: number };

export class BatchBuilder {
  private readonly builders: ColumnBuilder[];
  private readonly byName = new Map<string, number>();
  rows = 0;

  constructor(private readonly dataset: string, readonly schema: DatasetSchema, private readonly limits: Limits) {
    this.builders = schema.columns.map((c, i) => { this.byName.set(c.name, i); return new ColumnBuilder(c.name, c.type); });
  }

  /** Column index for an input column name; unknown names are an error naming the column. */
  columnIndex(name: string, place: string): number {
    const i = this.byName.get(name);
    if (i === undefined) {
      throw new StrataError('STRATA_ERR_UNKNOWN_COLUMN', `${place}: column ${JSON.stringify(name)} is not in dataset ${this.dataset} (columns: ${this.schema.columns.map((c) => c.name).join(', ')})`, { dataset: this.dataset, column: name });
    }
    return i;
  }

  /** Starts a new row (all NULL until set) and returns its index. */
  addRow(place: Place): number {
    if (this.rows >= this.limits.batchRowsMax) {
      throw new StrataError('STRATA_ERR_LIMIT_EXCEEDED', `${where(place)}: the batch has more than batchRowsMax = ${this.limits.batchRowsMax} rows`, { dataset: this.dataset, limit: 'batchRowsMax', ...place });
    }
    const row = this.rows++;
    for (const b of this.builders) {
      b.grow(this.rows);
      b.isNull[row] = 1;
    }
    return row;
  }

  /** Refuses the batch because of one value, naming its line (or row) and column. */
  reject(_row: number, col: number, place: Place, reason: string, value: unknown): never {
    const name = this.builders[col]!.name;
    const text = typeof value === 'string' ? value : typeof value === 'bigint' ? value.toString() : (JSON.stringify(value) ?? String(value));
    throw new StrataError('STRATA_ERR_BAD_ROW', `${where(place)}, column ${name} (${this.builders[col]!.type}): ${reason}`, {
      dataset: this.dataset, column: name, ...place, value: text, reason,
    });
  }

  /** Sets a value given as text; empty text is NULL (as DuckDB reads CSV). */
  setText(row: number, col: number, text: string, place: Place): void {
    if (text === '') return;
    const b = this.builders[col]!;
    if (b.type === 'string') { (b.values as (string | null)[])[row] = text; b.isNull[row] = 0; return; }
    const p = textParsers[b.type](text);
    if (!p.ok) this.reject(row, col, place, p.reason, text);
    (b.values as Float64Array)[row] = p.value as number;
    b.isNull[row] = 0;
  }

  /** Sets a value from JSON or Arrow; null and undefined are NULL. */
  setJs(row: number, col: number, value: unknown, place: Place): void {
    if (value === null || value === undefined) return;
    const b = this.builders[col]!;
    const p = jsParsers[b.type](value);
    if (!p.ok) this.reject(row, col, place, p.reason, value);
    if (b.type === 'string') (b.values as (string | null)[])[row] = p.value as string;
    else (b.values as Float64Array)[row] = p.value as number;
    b.isNull[row] = 0;
  }

  finish(): Batch {
    const columns = new Map<string, BatchColumn>();
    for (const b of this.builders) columns.set(b.name, b.finish(this.rows));
    return { rows: this.rows, columns };
  }
}

function where(place: Place): string {
  return 'line' in place ? `line ${place.line}` : `row ${place.row}`;
}
