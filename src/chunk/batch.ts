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
