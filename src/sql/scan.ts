/**
 * strata_scan: the DuckDB table function every dataset reference is bound
 * to. Before a query runs, the chunks it needs are read and decoded (async
 * I/O cannot happen inside DuckDB's synchronous callbacks); the function then
 * hands DuckDB 2,048-row vectors copied straight from typed arrays, with
 * projection pushdown so only the columns DuckDB asks for are written.
 */
import duckdb from '@duckdb/node-bindings';
import { BIGINT, BOOLEAN, DOUBLE, DuckDBTableFunction, INTEGER, TIMESTAMP, VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { randomBytes } from 'node:crypto';
import type { ColumnValues } from '../chunk/column.js';
import type { ScanChunk } from '../engine/scan.js';
import { isValid } from '../chunk/column.js';
import type { Column, ColumnType } from '../schema/schema.js';

export const scanFunctionName = 'strata_scan';
const vectorRows = 2048;


export interface PreparedScan {
  dataset: string;
  version: number;
  columns: readonly Column[];
  chunks: ScanChunk[];
}

const duckTypes: Record<ColumnType, DuckDBType> = {
  bool: BOOLEAN, int32: INTEGER, int64: BIGINT, float64: DOUBLE, string: VARCHAR, timestamp: TIMESTAMP,
};

/** Scans waiting for their query, by unguessable token; removed when the query ends. */
const prepared = new Map<string, PreparedScan>();

export function registerScan(scan: PreparedScan): string {
  const token = randomBytes(12).toString('hex');
  prepared.set(token, scan);
  return token;
}

export function releaseScan(token: string): void {
  prepared.delete(token);
}

interface BindData { scan: PreparedScan }
interface InitData { columns: number[]; chunk: number; offset: number }

const scratch = new BigInt64Array(vectorRows);
const scratchWords = new Int32Array(scratch.buffer);
const scratchF64 = new Float64Array(vectorRows);

/** Milliseconds (a double) as DuckDB's TIMESTAMP microseconds (int64) in scratch slot i: two 32-bit words, no BigInt per row. */
function putMicros(i: number, ms: number): void {
  const us = ms * 1000;
  const hi = Math.floor(us / 4294967296);
  scratchWords[2 * i] = (us - hi * 4294967296) | 0;
  scratchWords[2 * i + 1] = hi;
}

const scratchI32 = new Int32Array(vectorRows);
const scratchU8 = new Uint8Array(vectorRows);
const scratchValid = new Uint8Array(vectorRows / 8);

/** Writes rows sel[offset .. offset+n) of a column: gathered into scratch buffers, then copied. */
function writeSelected(vector: duckdb.Vector, col: ColumnValues, sel: Uint32Array, offset: number, n: number): void {
  switch (col.type) {
    case 'float64': { const v = col.values; for (let i = 0; i < n; i++) scratchF64[i] = v[sel[offset + i]!]!; duckdb.copy_data_to_vector(vector, 0, scratchF64.buffer, 0, n * 8); break; }
    case 'int32': { const v = col.values; for (let i = 0; i < n; i++) scratchI32[i] = v[sel[offset + i]!]!; duckdb.copy_data_to_vector(vector, 0, scratchI32.buffer, 0, n * 4); break; }
    case 'int64': { const v = col.values; for (let i = 0; i < n; i++) scratch[i] = v[sel[offset + i]!]!; duckdb.copy_data_to_vector(vector, 0, scratch.buffer, 0, n * 8); break; }
    case 'bool': { const v = col.values; for (let i = 0; i < n; i++) scratchU8[i] = v[sel[offset + i]!]!; duckdb.copy_data_to_vector(vector, 0, scratchU8.buffer, 0, n); break; }
    case 'timestamp': {
      const v = col.values;
      for (let i = 0; i < n; i++) putMicros(i, v[sel[offset + i]!]!);
      duckdb.copy_data_to_vector(vector, 0, scratch.buffer, 0, n * 8);
      break;
    }
    case 'string': {
      const { codes, dict, valid } = col;
      for (let i = 0; i < n; i++) { const r = sel[offset + i]!; if (isValid(valid, r)) duckdb.vector_assign_string_element(vector, i, dict[codes[r]!]!); }
      break;
    }
  }
  if (col.valid !== null) {
    scratchValid.fill(0);
    for (let i = 0; i < n; i++) if (isValid(col.valid, sel[offset + i]!)) scratchValid[i >>> 3]! |= 1 << (i & 7);
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, scratchValid.buffer, 0, Math.ceil(n / 8));
  }
}

function writeColumn(vector: duckdb.Vector, col: ColumnValues, offset: number, n: number): void {
  switch (col.type) {
    case 'float64': case 'int32': case 'int64': {
      const v = col.values;
      const width = v.BYTES_PER_ELEMENT;
      duckdb.copy_data_to_vector(vector, 0, v.buffer as ArrayBuffer, v.byteOffset + offset * width, n * width);
      break;
    }
    case 'bool': {
      const v = col.values;
      duckdb.copy_data_to_vector(vector, 0, v.buffer as ArrayBuffer, v.byteOffset + offset, n);
      break;
    }
    case 'timestamp': {
      const v = col.values;
      for (let i = 0; i < n; i++) putMicros(i, v[offset + i]!);
      duckdb.copy_data_to_vector(vector, 0, scratch.buffer, 0, n * 8);
      break;
    }
    case 'string': {
      const { codes, dict, valid } = col;
      for (let i = 0; i < n; i++) {
        if (isValid(valid, offset + i)) duckdb.vector_assign_string_element(vector, i, dict[codes[offset + i]!]!);
      }
      break;
    }
  }
  if (col.valid !== null) {
    duckdb.vector_ensure_validity_writable(vector);
    const bytes = Math.ceil(n / 8);
    // Vectors start at multiples of 2,048 rows within a chunk, so the bitmap slice is byte aligned.
    duckdb.copy_data_to_vector_validity(vector, 0, col.valid.buffer as ArrayBuffer, col.valid.byteOffset + offset / 8, bytes);
  }
}

const noneValid = new Uint8Array(vectorRows / 8);

/**
 * A column the query never names was not read; DuckDB still asks for one
 * column to count rows (count(*)), so it gets NULLs, which cost nothing.
 */
function writeNulls(vector: duckdb.Vector, n: number): void {
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, noneValid.buffer, 0, Math.ceil(n / 8));
}

export function registerScanFunction(con: DuckDBConnection): void {
  const fn = DuckDBTableFunction.create({
    name: scanFunctionName,
    parameterTypes: [VARCHAR],
    supportsProjectionPushdown: true,
    bindFunction: (info) => {
      const token = String(info.getParameter(0));
      const scan = prepared.get(token);
      if (!scan) { info.setError('strata_scan is bound by Strata to dataset names; it cannot be called directly'); return; }
      for (const c of scan.columns) info.addResultColumn(c.name, duckTypes[c.type]);
      let rows = 0;
      for (const ch of scan.chunks) rows += ch.rows;
      info.setCardinality(rows, true);
      info.setBindData({ scan } satisfies BindData);
    },
    initFunction: (info) => {
      info.setMaxThreads(1);
      info.setInitData({ columns: info.getColumnIndexes(), chunk: 0, offset: 0 } satisfies InitData);
    },
    mainFunction: (info, output) => {
      const { scan } = info.getBindData() as BindData;
      const state = info.getInitData() as InitData;
      while (state.chunk < scan.chunks.length && state.offset >= scan.chunks[state.chunk]!.rows) { state.chunk++; state.offset = 0; }
      const chunk = scan.chunks[state.chunk];
      if (!chunk) { duckdb.data_chunk_set_size(output.chunk, 0); return; }
      const n = Math.min(vectorRows, chunk.rows - state.offset);
      for (let j = 0; j < state.columns.length; j++) {
        const column = scan.columns[state.columns[j]!];
        if (!column) continue; // row-id style pseudo column: nothing to write
        const vector = duckdb.data_chunk_get_vector(output.chunk, j);
        const values = chunk.columns.get(column.name);
        if (values) {
          if (chunk.selection) writeSelected(vector, values, chunk.selection, state.offset, n);
          else writeColumn(vector, values, state.offset, n);
        }
        else writeNulls(vector, n);
      }
      duckdb.data_chunk_set_size(output.chunk, n);
      state.offset += n;
    },
  });
  con.registerTableFunction(fn);
}
