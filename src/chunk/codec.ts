/**
 * One chunk column <-> one Arrow IPC stream (schema message + one record
 * batch) whose body buffers are LZ4_FRAME compressed. Strings are stored
 * dictionary-encoded (Int32 codes + a Utf8 dictionary), as Arrow defines it,
 * so any Arrow reader with LZ4 support can read a chunk column on its own.
 */
import * as A from 'apache-arrow';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { StrataError } from '../core/errors.js';
import type { ColumnType } from '../schema/schema.js';
import type { ColumnValues } from './column.js';
import { bitsToBytes, int64ToMs } from './column.js';
import { readOwnColumn } from './column-read.js';

let registered = false;
function registerLz4(): void {
  if (registered) return;
  A.compressionRegistry.set(A.CompressionType.LZ4_FRAME, {
    encode: (d: Uint8Array) => new Uint8Array(compressFrameSync(Buffer.from(d.buffer, d.byteOffset, d.byteLength))),
    decode: (d: Uint8Array) => new Uint8Array(decompressFrameSync(Buffer.from(d.buffer, d.byteOffset, d.byteLength))),
  });
  registered = true;
}

/**
 * The stream writer with the body-compression prefix the Arrow format asks
 * for. Each compressed buffer starts with an int64 giving its length
 * *uncompressed* (-1: stored uncompressed); apache-arrow 21 writes the
 * compressed length there, which other readers (pyarrow) refuse. Readers
 * that, like this one, let the codec find the length ignore the prefix, so
 * columns written either way read alike.
 */
class StreamWriter extends A.RecordBatchStreamWriter {
  protected override _compressBodyBuffers(buffers: ArrayBufferView[]): ReturnType<A.RecordBatchStreamWriter['_compressBodyBuffers']> {
    const out = super._compressBodyBuffers(buffers);
    // The result holds (prefix, data) pairs in the order of the input buffers.
    buffers.forEach((b, i) => {
      const prefix = out.buffers[2 * i] as Uint8Array;
      if (b.byteLength === 0 || prefix.byteLength !== 8) return;
      const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
      if (view.getBigInt64(0, true) !== -1n) view.setBigInt64(0, BigInt(b.byteLength), true);
    });
    return out;
  }
}

/** Milliseconds as doubles -> int64 words, without BigInt. */
function msToInt64(values: Float64Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const hi = Math.floor(v / 4294967296);
    words[2 * i] = (v - hi * 4294967296) | 0;
    words[2 * i + 1] = hi;
  }
  return out;
}

function bytesToBits(values: Uint8Array, length: number): Uint8Array {
  const bits = new Uint8Array(Math.ceil(length / 8));
  for (let i = 0; i < length; i++) if (values[i]) bits[i >>> 3]! |= 1 << (i & 7);
  return bits;
}

function arrowData(col: ColumnValues): A.Data {
  const length = col.length;
  const nullBitmap = col.valid ?? undefined;
  const nullCount = col.valid ? -1 : 0;
  switch (col.type) {
    case 'float64': return A.makeData({ type: new A.Float64(), length, nullCount, nullBitmap, data: col.values });
    case 'int32': return A.makeData({ type: new A.Int32(), length, nullCount, nullBitmap, data: col.values });
    case 'int64': return A.makeData({ type: new A.Int64(), length, nullCount, nullBitmap, data: col.values });
    case 'timestamp': return A.makeData({ type: new A.TimestampMillisecond(), length, nullCount, nullBitmap, data: msToInt64(col.values) });
    case 'bool': return A.makeData({ type: new A.Bool(), length, nullCount, nullBitmap, data: bytesToBits(col.values, length) });
    case 'string': {
      const dictionary = A.vectorFromArray(col.dict, new A.Utf8());
      // A fixed dictionary id keeps the bytes (and so the chunk id) a function of the content alone.
      const type = new A.Dictionary(new A.Utf8(), new A.Int32(), 0);
      return A.makeData({ type, length, nullCount, nullBitmap, data: col.codes, dictionary });
    }
  }
}

export function encodeColumn(name: string, col: ColumnValues): Uint8Array {
  registerLz4();
  const data = arrowData(col);
  const field = new A.Field(name, data.type, true);
  const batch = new A.RecordBatch(new A.Schema([field]), A.makeData({ type: new A.Struct([field]), length: col.length, nullCount: 0, children: [data] }));
  const writer = new StreamWriter({ compressionType: A.CompressionType.LZ4_FRAME });
  writer.write(batch);
  writer.finish();
  return writer.toUint8Array(true);
}

const expectedTypeId: Record<ColumnType, A.Type> = {
  float64: A.Type.Float,
  int32: A.Type.Int,
  int64: A.Type.Int,
  timestamp: A.Type.Timestamp,
  bool: A.Type.Bool,
  string: A.Type.Dictionary,
};

/** Decodes a column written by `encodeColumn`, checking its type and row count. */
export function decodeColumn(bytes: Uint8Array, type: ColumnType, rows: number, where: string): ColumnValues {
  try {
    const fast = readOwnColumn(bytes, type, rows);
    if (fast) return fast;
  } catch {
    // Not readable the fast way: the Arrow reader below gives the precise error.
  }
  registerLz4();
  let table: A.Table;
  try {
    table = A.tableFromIPC(bytes);
  } catch (e) {
    throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `${where}: not a readable Arrow IPC column (${(e as Error).message})`);
  }
  const vector = table.getChildAt(0);
  if (!vector || vector.length !== rows || vector.data.length !== 1 || vector.type.typeId !== expectedTypeId[type]) {
    throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `${where}: expected ${rows} ${type} rows, found ${vector ? `${vector.length} ${String(vector.type)}` : 'no column'}`);
  }
  const data = vector.data[0]!;
  const offset = data.offset;
  let valid: Uint8Array | null = null;
  if (data.nullCount > 0) {
    valid = offset === 0 ? data.nullBitmap! : bitsToBytesAsBitmap(data.nullBitmap!, offset, rows);
  }
  switch (type) {
    case 'float64': return { type, length: rows, values: (data.values as Float64Array).subarray(offset, offset + rows), valid };
    case 'int32': return { type, length: rows, values: (data.values as Int32Array).subarray(offset, offset + rows), valid };
    case 'int64': return { type, length: rows, values: (data.values as BigInt64Array).subarray(offset, offset + rows), valid };
    case 'timestamp': return { type, length: rows, values: int64ToMs((data.values as BigInt64Array).subarray(offset), rows), valid };
    case 'bool': return { type, length: rows, values: bitsToBytes(data.values as Uint8Array, offset, rows), valid };
    case 'string': {
      const dict = (data.dictionary!.toArray() as (string | null)[]).map((s) => s ?? '');
      return { type, length: rows, codes: (data.values as Int32Array).subarray(offset, offset + rows), dict, valid };
    }
  }
}

function bitsToBytesAsBitmap(bits: Uint8Array, offset: number, length: number): Uint8Array {
  const bytes = bitsToBytes(bits, offset, length);
  return bytesToBits(bytes, length);
}
