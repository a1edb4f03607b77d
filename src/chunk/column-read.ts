/**
 * The fast read of a chunk column Strata wrote itself: the Arrow IPC stream
 * is framed and its flatbuffer headers read directly, and each LZ4 buffer
 * is decoded by the kernels straight into a typed array of the size the
 * row count dictates (no intermediate copies, no Arrow objects). Anything
 * unexpected returns null and the general Arrow reader (codec.ts) decides,
 * so this path can only be faster, never less strict.
 */
import { ByteBuffer } from 'flatbuffers';
import { CompressionType } from 'apache-arrow/fb/compression-type';
import { DictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch } from 'apache-arrow/fb/record-batch';
import { kernels } from '../kernels/index.js';
import type { ColumnType } from '../schema/schema.js';
import type { ColumnValues } from './column.js';
import { bitsToBytes, int64ToMs } from './column.js';

interface Batch { rows: number; nulls: number; buffers: Uint8Array[]; compressed: boolean }

/** Bytes a writer may have padded a buffer with before compressing it. */
const padMax = 64;

function readBatch(rb: RecordBatch, body: Uint8Array): Batch | null {
  const c = rb.compression();
  if (c && c.codec() !== CompressionType.LZ4_FRAME) return null;
  if (rb.nodesLength() !== 1) return null;
  const node = rb.nodes(0)!;
  const buffers: Uint8Array[] = [];
  for (let i = 0; i < rb.buffersLength(); i++) {
    const b = rb.buffers(i)!;
    const off = Number(b.offset()); const len = Number(b.length());
    if (off < 0 || len < 0 || off + len > body.length) return null;
    buffers.push(body.subarray(off, off + len));
  }
  return { rows: Number(rb.length()), nulls: Number(node.nullCount()), buffers, compressed: c !== null };
}

/** One buffer into `dst` (whose first `need` bytes must be filled); false when it does not fit. */
function fill(buf: Uint8Array, compressed: boolean, dst: Uint8Array, need: number): boolean {
  if (need === 0) return true;
  if (!compressed) { if (buf.length < need) return false; dst.set(buf.subarray(0, need)); return true; }
  if (buf.length < 8) return false;
  const prefix = new DataView(buf.buffer, buf.byteOffset, 8).getBigInt64(0, true);
  const data = buf.subarray(8);
  if (prefix === -1n) { if (data.length < need) return false; dst.set(data.subarray(0, need)); return true; }
  // The prefix is not trusted for the size (older chunks hold the compressed length there): the rows decide.
  try {
    return kernels().lz4FrameDecode(data, dst) === need;
  } catch {
    // A padded buffer: decode into room for the padding and keep what the rows need.
    const padded = new Uint8Array(need + padMax);
    if (kernels().lz4FrameDecode(data, padded) < need) return false;
    dst.set(padded.subarray(0, need));
    return true;
  }
}

/** A typed array of `count` elements that owns its buffer (so a worker can transfer it), filled from `buf`. */
function decodeInto<T extends ArrayBufferView>(make: (b: ArrayBuffer, n: number) => T, width: number, count: number, buf: Uint8Array, compressed: boolean): T | null {
  const need = count * width;
  // Not zero-filled (every byte is written below) and not pooled (the array owns its whole buffer).
  const bytes = new Uint8Array(Buffer.allocUnsafeSlow(need).buffer, 0, need);
  return fill(buf, compressed, bytes, need) ? make(bytes.buffer, count) : null;
}

function validity(b: Batch): Uint8Array | null | undefined {
  if (b.nulls === 0) return null;
  const v = decodeInto((buf, n) => new Uint8Array(buf, 0, n), 1, Math.ceil(b.rows / 8), b.buffers[0]!, b.compressed);
  return v ?? undefined;
}

function messages(bytes: Uint8Array): { message: Message; body: Uint8Array }[] | null {
  const out: { message: Message; body: Uint8Array }[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos + 8 <= bytes.length) {
    if (view.getUint32(pos, true) !== 0xffffffff) return null;
    const metaLen = view.getInt32(pos + 4, true);
    if (metaLen === 0) return out; // end of stream
    if (metaLen < 0 || pos + 8 + metaLen > bytes.length) return null;
    const message = Message.getRootAsMessage(new ByteBuffer(bytes.subarray(pos + 8, pos + 8 + metaLen)));
    const bodyLen = Number(message.bodyLength());
    const start = pos + 8 + metaLen;
    if (bodyLen < 0 || start + bodyLen > bytes.length) return null;
    out.push({ message, body: bytes.subarray(start, start + bodyLen) });
    pos = start + bodyLen;
  }
  return null;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function dictionary(b: Batch): string[] | null {
  if (b.buffers.length !== 3 || b.nulls !== 0) return null;
  const offsets = decodeInto((buf, n) => new Int32Array(buf, 0, n), 4, b.rows + 1, b.buffers[1]!, b.compressed);
  if (!offsets) return null;
  const size = offsets[b.rows]!;
  if (size < 0) return null;
  const data = decodeInto((buf, n) => new Uint8Array(buf, 0, n), 1, size, b.buffers[2]!, b.compressed);
  if (!data) return null;
  const out = new Array<string>(b.rows);
  for (let i = 0; i < b.rows; i++) {
    const s = offsets[i]!; const e = offsets[i + 1]!;
    if (s < 0 || e < s || e > size) return null;
    out[i] = decoder.decode(data.subarray(s, e));
  }
  return out;
}

/** The column, or null when the stream is not in the shape Strata writes (the caller then uses the Arrow reader). */
export function readOwnColumn(bytes: Uint8Array, type: ColumnType, rows: number): ColumnValues | null {
  const msgs = messages(bytes);
  if (!msgs) return null;
  let dict: string[] | null = null;
  let batch: Batch | null = null;
  for (const { message, body } of msgs) {
    const kind = message.headerType();
    if (kind === MessageHeader.Schema) continue;
    if (kind === MessageHeader.DictionaryBatch) {
      const db = message.header(new DictionaryBatch()) as DictionaryBatch;
      const data = db.data();
      if (type !== 'string' || dict !== null || db.isDelta() || !data) return null;
      const b = readBatch(data, body);
      dict = b && dictionary(b);
      if (dict === null) return null;
    } else if (kind === MessageHeader.RecordBatch) {
      if (batch !== null) return null;
      batch = readBatch(message.header(new RecordBatch()) as RecordBatch, body);
      if (batch === null) return null;
    } else return null;
  }
  if (!batch || batch.rows !== rows || batch.buffers.length !== 2) return null;
  const valid = validity(batch);
  if (valid === undefined) return null;
  const values = batch.buffers[1]!;
  const c = batch.compressed;
  switch (type) {
    case 'float64': { const v = decodeInto((b, n) => new Float64Array(b, 0, n), 8, rows, values, c); return v && { type, length: rows, values: v, valid }; }
    case 'int32': { const v = decodeInto((b, n) => new Int32Array(b, 0, n), 4, rows, values, c); return v && { type, length: rows, values: v, valid }; }
    case 'int64': { const v = decodeInto((b, n) => new BigInt64Array(b, 0, n), 8, rows, values, c); return v && { type, length: rows, values: v, valid }; }
    case 'timestamp': { const v = decodeInto((b, n) => new BigInt64Array(b, 0, n), 8, rows, values, c); return v && { type, length: rows, values: int64ToMs(v, rows), valid }; }
    case 'bool': {
      const bits = decodeInto((b, n) => new Uint8Array(b, 0, n), 1, Math.ceil(rows / 8), values, c);
      if (!bits) return null;
      return { type, length: rows, values: bitsToBytes(bits, 0, rows), valid };
    }
    case 'string': {
      if (!dict) return null;
      const codes = decodeInto((b, n) => new Int32Array(b, 0, n), 4, rows, values, c);
      if (!codes) return null;
      for (let i = 0; i < rows; i++) if (codes[i]! >>> 0 >= dict.length && (valid === null || ((valid[i >>> 3]! >>> (i & 7)) & 1) === 1)) return null;
      return { type, length: rows, codes, dict, valid };
    }
  }
}
