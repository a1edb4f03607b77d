import type { ColumnType } from '../schema/schema.js';

/**
 * A validated batch, column by column, before it is split into chunks.
 * `isNull` holds one byte per row (1 = NULL): simple to fill while parsing.
 */
export type BatchColumn =
  | { type: 'float64' | 'timestamp'; values: Float64Array; isNull: Uint8Array }
  | { type: 'int32'; values: Int32Array; isNull: Uint8Array }
  | { type: 'int64'; values: BigInt64Array; isNull: Uint8Array }
  | { type: 'bool'; values: Uint8Array; isNull: Uint8Array }
  | { type: 'string'; values: (string | null)[]; isNull: Uint8Array };

export interface Batch {
  readonly rows: number;
  /** Every column of the dataset's schema, in schema order. */
  readonly columns: ReadonlyMap<string, BatchColumn>;
}

export function emptyBatchColumn(type: ColumnType, rows: number): BatchColumn {
  const isNull = new Uint8Array(rows);
  switch (type) {
    case 'float64': case 'timestamp': return { type, values: new Float64Array(rows), isNull };
    case 'int32': return { type, values: new Int32Array(rows), isNull };
    case 'int64': return { type, values: new BigInt64Array(rows), isNull };
    case 'bool': return { type, values: new Uint8Array(rows), isNull };
    case 'string': return { type, values: new Array<string | null>(rows).fill(null), isNull };
  }
}

/** The rows of several batches of one schema, one after the other. */
export function concatBatches(batches: readonly Batch[]): Batch {
  if (batches.length === 1) return batches[0]!;
  const rows = batches.reduce((n, b) => n + b.rows, 0);
  const columns = new Map<string, BatchColumn>();
  for (const [name, first] of batches[0]!.columns) {
    const out = emptyBatchColumn(first.type, rows);
    let at = 0;
    for (const b of batches) {
      const c = b.columns.get(name)!;
      out.isNull.set(c.isNull, at);
      if (Array.isArray(out.values)) for (let i = 0; i < b.rows; i++) (out.values as (string | null)[])[at + i] = (c.values as (string | null)[])[i]!;
      else (out.values as Float64Array).set(c.values as Float64Array, at);
      at += b.rows;
    }
    columns.set(name, out);
  }
  return { rows, columns };
}
