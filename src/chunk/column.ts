/**
 * A column of one chunk, decoded, in the shapes hot loops want: typed arrays,
 * never JS objects per row and never BigInt (int64 is kept as raw bytes).
 *
 * Validity follows Arrow (and DuckDB): bit i of `valid` (LSB first) is 1 when
 * row i holds a value; `valid === null` means no nulls.
 */
import type { ColumnType } from '../schema/schema.js';

export type ColumnValues =
  | { type: 'float64'; length: number; values: Float64Array; valid: Uint8Array | null }
  | { type: 'int32'; length: number; values: Int32Array; valid: Uint8Array | null }
  /** Little-endian two's complement int64 in a BigInt64Array's memory; read with `int64At`. */
  | { type: 'int64'; length: number; values: BigInt64Array; valid: Uint8Array | null }
  /** Milliseconds since the Unix epoch (UTC), exact in a double up to year 275760. */
  | { type: 'timestamp'; length: number; values: Float64Array; valid: Uint8Array | null }
  /** One byte per row, 0 or 1. */
  | { type: 'bool'; length: number; values: Uint8Array; valid: Uint8Array | null }
  /** Dictionary-encoded strings: row i is dict[codes[i]]. */
  | { type: 'string'; length: number; codes: Int32Array; dict: string[]; valid: Uint8Array | null };

export function isValid(valid: Uint8Array | null, i: number): boolean {
  return valid === null || ((valid[i >>> 3]! >>> (i & 7)) & 1) === 1;
}

export function nullCount(valid: Uint8Array | null, length: number): number {
  if (valid === null) return 0;
  let n = 0;
  for (let i = 0; i < length; i++) if (((valid[i >>> 3]! >>> (i & 7)) & 1) === 0) n++;
  return n;
}

/** Builds a validity bitmap from one-byte-per-row null flags; null when nothing is null. */
export function bitmapFromNullFlags(isNull: Uint8Array, length: number): Uint8Array | null {
  let any = false;
  for (let i = 0; i < length; i++) if (isNull[i] === 1) { any = true; break; }
  if (!any) return null;
  const bits = new Uint8Array(Math.ceil(length / 8));
  for (let i = 0; i < length; i++) if (isNull[i] !== 1) bits[i >>> 3]! |= 1 << (i & 7);
  return bits;
}

/** Arrow's bit-packed booleans (from bit `offset`) as one byte per row, 0 or 1. */
export function bitsToBytes(bits: Uint8Array, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const j = i + offset;
    out[i] = (bits[j >>> 3]! >>> (j & 7)) & 1;
  }
  return out;
}

/** Int64 milliseconds (two 32-bit words each, no BigInt) as doubles: exact up to year 275760. */
export function int64ToMs(values: BigInt64Array, length: number): Float64Array {
  const words = new Int32Array(values.buffer, values.byteOffset, length * 2);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
  return out;
}

/** An int64 as a double; exact within ±2^53, the rest rounds (used for stats and display only). */
export function int64At(values: BigInt64Array, i: number): number {
  const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  return words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
}

export function allNullColumn(type: ColumnType, length: number): ColumnValues {
  const valid = new Uint8Array(Math.ceil(length / 8));
  switch (type) {
    case 'float64': return { type, length, values: new Float64Array(length), valid };
    case 'timestamp': return { type, length, values: new Float64Array(length), valid };
    case 'int32': return { type, length, values: new Int32Array(length), valid };
    case 'int64': return { type, length, values: new BigInt64Array(length), valid };
    case 'bool': return { type, length, values: new Uint8Array(length), valid };
    case 'string': return { type, length, codes: new Int32Array(length), dict: [], valid };
  }
}

/** Approximate bytes a decoded column holds (for the cache budget). */
export function columnBytes(c: ColumnValues): number {
  const v = c.valid ? c.valid.byteLength : 0;
  if (c.type === 'string') {
    let s = 0;
    for (const d of c.dict) s += 2 * d.length + 16;
    return c.codes.byteLength + s + v;
  }
  return c.values.byteLength + v;
}

/** The given rows of a column, in the order given (a new column). */
export function takeRows(c: ColumnValues, rows: Uint32Array): ColumnValues {
  const n = rows.length;
  let valid: Uint8Array | null = null;
  if (c.valid !== null) {
    valid = new Uint8Array(Math.ceil(n / 8));
    let any = false;
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      if (((c.valid[r >>> 3]! >>> (r & 7)) & 1) === 1) valid[i >>> 3]! |= 1 << (i & 7);
      else any = true;
    }
    if (!any) valid = null;
  }
  switch (c.type) {
    case 'string': {
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = c.codes[rows[i]!]!;
      return { type: 'string', length: n, codes, dict: c.dict, valid };
    }
    case 'float64': case 'timestamp': { const v = new Float64Array(n); for (let i = 0; i < n; i++) v[i] = c.values[rows[i]!]!; return { type: c.type, length: n, values: v, valid }; }
    case 'int32': { const v = new Int32Array(n); for (let i = 0; i < n; i++) v[i] = c.values[rows[i]!]!; return { type: 'int32', length: n, values: v, valid }; }
    case 'int64': { const v = new BigInt64Array(n); for (let i = 0; i < n; i++) v[i] = c.values[rows[i]!]!; return { type: 'int64', length: n, values: v, valid }; }
    case 'bool': { const v = new Uint8Array(n); for (let i = 0; i < n; i++) v[i] = c.values[rows[i]!]!; return { type: 'bool', length: n, values: v, valid }; }
  }
}
