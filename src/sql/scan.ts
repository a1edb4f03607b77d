/**
 * strata_scan: the DuckDB table function every dataset reference is bound
 * to. Before a query runs, the chunks it needs are read and decoded (async
 * I/O cannot happen inside DuckDB's synchronous callbacks); the function then
 * hands DuckDB 2,048-row vectors copied straight from typed arrays, with
 * projection pushdown so only the columns DuckDB asks for are written.
 */
import duckdb from '@duckdb/node-bindings';
import { BIGINT, BOOLEAN, DOUBLE, DuckDBTableFunction, ENUM16, ENUM8, INTEGER, TIMESTAMP, VARCHAR } from '@duckdb/node-api';
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

/**
 * A string column handed to DuckDB as ENUM codes: one dictionary for the
 * whole scan, and per chunk the map from its codes to the scan's. The scan
 * subquery (tree.ts) casts the column back to VARCHAR, so queries see the
 * same type; DuckDB's cast is far cheaper than one call per string.
 */
interface EnumColumn { values: string[]; remap: (Uint8Array | Uint16Array)[] }

/** Dictionaries up to this size go as ENUM (two-byte codes); larger ones as strings. */
const enumValuesMax = 65_535;

function enumColumn(scan: PreparedScan, name: string): EnumColumn | null {
  const index = new Map<string, number>();
  const values: string[] = [];
  const codes: number[][] = [];
  let rows = 0;
  for (const chunk of scan.chunks) {
    const col = chunk.columns.get(name);
    if (!col || col.type !== 'string') { codes.push([]); continue; }
    rows += chunk.rows;
    const map = new Array<number>(col.dict.length);
    for (let c = 0; c < col.dict.length; c++) {
      const v = col.dict[c]!;
      let g = index.get(v);
      if (g === undefined) {
        g = values.length;
        if (g >= enumValuesMax) return null;
        index.set(v, g); values.push(v);
      }
      map[c] = g;
    }
    codes.push(map);
  }
  // A dictionary nearly as large as the rows saves nothing.
  if (values.length === 0 || values.length * 4 > rows) return null;
  const wide = values.length > 255;
  return { values, remap: codes.map((m) => (wide ? Uint16Array.from(m) : Uint8Array.from(m))) };
}

interface BindData { scan: PreparedScan; enums: (EnumColumn | null)[] }
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

const scratchU16 = new Uint16Array(vectorRows);

/** A string column as ENUM codes: the chunk's codes mapped to the scan's dictionary, then copied. */
function writeEnum(vector: duckdb.Vector, col: ColumnValues & { type: 'string' }, remap: Uint8Array | Uint16Array, sel: Uint32Array | null, offset: number, n: number): void {
  const codes = col.codes;
  const out = remap instanceof Uint16Array ? scratchU16 : scratchU8;
  // NULL rows keep whatever code: the validity mask hides them (their code may be past the dictionary).
  if (sel) for (let i = 0; i < n; i++) out[i] = remap[codes[sel[offset + i]!]!] ?? 0;
  else for (let i = 0; i < n; i++) out[i] = remap[codes[offset + i]!] ?? 0;
  duckdb.copy_data_to_vector(vector, 0, out.buffer as ArrayBuffer, 0, n * out.BYTES_PER_ELEMENT);
  if (col.valid !== null) {
    duckdb.vector_ensure_validity_writable(vector);
    if (sel) {
      scratchValid.fill(0);
      for (let i = 0; i < n; i++) if (isValid(col.valid, sel[offset + i]!)) scratchValid[i >>> 3]! |= 1 << (i & 7);
      duckdb.copy_data_to_vector_validity(vector, 0, scratchValid.buffer, 0, Math.ceil(n / 8));
    } else duckdb.copy_data_to_vector_validity(vector, 0, col.valid.buffer as ArrayBuffer, col.valid.byteOffset + offset / 8, Math.ceil(n / 8));
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
      const enums = scan.columns.map((c) => (c.type === 'string' ? enumColumn(scan, c.name) : null));
      scan.columns.forEach((c, i) => {
        const e = enums[i];
        info.addResultColumn(c.name, e ? (e.values.length > 255 ? ENUM16(e.values) : ENUM8(e.values)) : duckTypes[c.type]);
      });
      let rows = 0;
      for (const ch of scan.chunks) rows += ch.rows;
      info.setCardinality(rows, true);
      info.setBindData({ scan, enums } satisfies BindData);
    },
    initFunction: (info) => {
      // Every DuckDB thread may pull vectors: each pull waits on a hop into JavaScript (tens of
      // microseconds), and with several threads waiting the hops overlap. Calls run one at a time
      // on the JavaScript thread, so the shared cursor below needs no lock. DuckDB caps this at its own thread count.
      info.setMaxThreads(64);
      info.setInitData({ columns: info.getColumnIndexes(), chunk: 0, offset: 0 } satisfies InitData);
    },
    mainFunction: (info, output) => {
      const { scan, enums } = info.getBindData() as BindData;
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
        const e = enums[state.columns[j]!];
        if (values && e && values.type === 'string') writeEnum(vector, values, e.remap[state.chunk]!, chunk.selection, state.offset, n);
        else if (values) {
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
