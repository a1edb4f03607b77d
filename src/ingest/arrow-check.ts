/**
 * Checking an untrusted Arrow IPC stream's metadata before any Arrow reader
 * allocates from it. A few hundred bytes can claim billions of fields or
 * rows; a reader that believes them allocates gigabytes. So each message is
 * framed and its flatbuffer header read here, with every count and length
 * checked against the message's own size, the body's size and the limits:
 *
 * - the stream is continuation-framed messages ending in the end-of-stream
 *   marker (every Arrow writer writes it on close; without it the stream is
 *   taken as cut off), and nothing follows the marker;
 * - one schema, first, of at most `fieldsMax` flat fields of the types
 *   Strata reads (integers, floats, bool, utf8, dates, timestamps, and
 *   dictionary-encoded utf8);
 * - each record batch: rows within `rowsMax` (all batches together), one
 *   field node and the right number of buffers per field, every buffer
 *   inside the body, and every buffer (or, compressed, the length its
 *   prefix claims, at most what LZ4 can expand to) large enough for the rows
 *   it claims to hold: so the rows a stream claims are paid for in bytes;
 * - dictionary batches the same, for their entries; only LZ4_FRAME
 *   compression (the codec Strata has).
 */
import { ByteBuffer } from 'flatbuffers';
import { BodyCompression } from 'apache-arrow/fb/body-compression';
import { CompressionType } from 'apache-arrow/fb/compression-type';
import { DateUnit } from 'apache-arrow/fb/date-unit';
import { DictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { Field } from 'apache-arrow/fb/field';
import { FloatingPoint } from 'apache-arrow/fb/floating-point';
import { Int } from 'apache-arrow/fb/int';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { Precision } from 'apache-arrow/fb/precision';
import { RecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema } from 'apache-arrow/fb/schema';
import { Date as DateType } from 'apache-arrow/fb/date';
import { Type } from 'apache-arrow/fb/type';
import { StrataError } from '../core/errors.js';

export interface ArrowCheckLimits {
  /** Fields the schema may have (the dataset's column count). */
  fieldsMax: number;
  /** Rows of all record batches together, and entries of all dictionaries together (batchRowsMax). */
  rowsMax: number;
}

/** What a field's buffers hold: validity, then fixed-width values, bits, or offsets and bytes. */
type Layout = { kind: 'fixed'; width: number } | { kind: 'bits' } | { kind: 'var'; offsetWidth: number };

/** LZ4 cannot expand data more than about 255 times. */
const lz4RatioMax = 256;
const continuation = 0xffffffff;

function bad(message: string): never {
  throw new StrataError('STRATA_ERR_BAD_FORMAT', `Arrow IPC stream: ${message}; nothing was written`);
}

function layoutOf(f: Field, name: string): { layout: Layout; dictionaryId: number | null } {
  if (f.childrenLength() !== 0) bad(`field ${name} is nested; Strata reads flat columns only`);
  const dict = f.dictionary();
  if (dict) {
    const index = dict.indexType();
    const width = index ? index.bitWidth() / 8 : 4;
    if (![1, 2, 4, 8].includes(width)) bad(`field ${name} has a dictionary index of ${width * 8} bits`);
    if (f.typeType() !== Type.Utf8 && f.typeType() !== Type.LargeUtf8) bad(`field ${name} is dictionary-encoded ${Type[f.typeType()]}; only strings may be`);
    return { layout: { kind: 'fixed', width }, dictionaryId: Number(dict.id()) };
  }
  return { layout: valueLayout(f, name), dictionaryId: null };
}

function valueLayout(f: Field, name: string): Layout {
  switch (f.typeType()) {
    case Type.Int: {
      const width = (f.type(new Int()) as Int).bitWidth() / 8;
      if (![1, 2, 4, 8].includes(width)) bad(`field ${name} is an integer of ${width * 8} bits`);
      return { kind: 'fixed', width };
    }
    case Type.FloatingPoint: {
      const p = (f.type(new FloatingPoint()) as FloatingPoint).precision();
      return { kind: 'fixed', width: p === Precision.HALF ? 2 : p === Precision.SINGLE ? 4 : 8 };
    }
    case Type.Date: return { kind: 'fixed', width: (f.type(new DateType()) as DateType).unit() === DateUnit.DAY ? 4 : 8 };
    case Type.Timestamp: return { kind: 'fixed', width: 8 };
    case Type.Bool: return { kind: 'bits' };
    case Type.Utf8: return { kind: 'var', offsetWidth: 4 };
    case Type.LargeUtf8: return { kind: 'var', offsetWidth: 8 };
    default: return bad(`field ${name} has type ${Type[f.typeType()] ?? f.typeType()}, which Strata does not read (use integers, floats, bool, utf8, date or timestamp)`);
  }
}

/** Bytes each buffer of a layout needs for `rows` values (validity only when there are nulls). */
function needed(layout: Layout, rows: number, nulls: number): number[] {
  const validity = nulls > 0 ? Math.ceil(rows / 8) : 0;
  switch (layout.kind) {
    case 'fixed': return [validity, rows * layout.width];
    case 'bits': return [validity, Math.ceil(rows / 8)];
    case 'var': return [validity, rows === 0 ? 0 : (rows + 1) * layout.offsetWidth, 0];
  }
}

/** Checks the stream and returns its total rows. Throws STRATA_ERR_BAD_FORMAT or STRATA_ERR_LIMIT_EXCEEDED. */
export function checkArrowStream(bytes: Uint8Array, limits: ArrowCheckLimits): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let fields: { layout: Layout; dictionaryId: number | null; name: string }[] | null = null;
  let rows = 0;
  let entries = 0;
  if (bytes.length === 0) bad('the body is empty');
  for (;;) {
    if (pos + 8 > bytes.length) bad(`cut off at byte ${pos} (no end-of-stream marker)`);
    if (view.getUint32(pos, true) !== continuation) bad(`byte ${pos}: expected a message (0xFFFFFFFF continuation marker)`);
    const metaLength = view.getInt32(pos + 4, true);
    if (metaLength === 0) {
      if (pos + 8 !== bytes.length) bad(`${bytes.length - pos - 8} bytes follow the end-of-stream marker`);
      break;
    }
    if (metaLength < 0 || pos + 8 + metaLength > bytes.length) bad(`byte ${pos}: a message header of ${metaLength} bytes does not fit in the body`);
    const meta = bytes.subarray(pos + 8, pos + 8 + metaLength);
    const maxEntries = Math.floor(metaLength / 4);
    let message: Message;
    try { message = Message.getRootAsMessage(new ByteBuffer(meta)); } catch { bad(`byte ${pos}: unreadable message header`); }
    const bodyLength = Number(message.bodyLength());
    const bodyStart = pos + 8 + metaLength;
    if (!Number.isSafeInteger(bodyLength) || bodyLength < 0 || bodyStart + bodyLength > bytes.length) {
      bad(`byte ${pos}: a message body of ${String(message.bodyLength())} bytes does not fit in what was sent`);
    }
    if (message.customMetadataLength() > maxEntries) bad(`byte ${pos}: message metadata claims more entries than it has bytes`);
    switch (message.headerType()) {
      case MessageHeader.Schema: {
        if (fields) bad('a second schema message');
        const schema = message.header(new Schema()) as Schema | null;
        if (!schema) bad('unreadable schema');
        const n = schema.fieldsLength();
        if (n > limits.fieldsMax) bad(`the schema claims ${n} fields; the dataset has ${limits.fieldsMax} columns`);
        if (n > maxEntries || schema.customMetadataLength() > maxEntries || schema.featuresLength() > maxEntries) bad('the schema claims more entries than its header has bytes');
        fields = [];
        for (let i = 0; i < n; i++) {
          const f = schema.fields(i);
          if (!f) bad(`field ${i} is unreadable`);
          if (f.customMetadataLength() > maxEntries) bad(`field ${i} claims more metadata entries than the header has bytes`);
          const name = f.name() ?? `#${i}`;
          fields.push({ ...layoutOf(f, JSON.stringify(name)), name });
        }
        break;
      }
      case MessageHeader.RecordBatch: {
        if (!fields) bad('a record batch before the schema');
        const batch = message.header(new RecordBatch()) as RecordBatch | null;
        if (!batch) bad('unreadable record batch');
        const n = Number(batch.length());
        rows += n;
        if (!Number.isSafeInteger(n) || n < 0) bad(`a record batch claims ${String(batch.length())} rows`);
        if (rows > limits.rowsMax) {
          throw new StrataError('STRATA_ERR_LIMIT_EXCEEDED', `the Arrow stream has more than batchRowsMax = ${limits.rowsMax} rows`, { limit: 'batchRowsMax' });
        }
        checkBuffers(batch, fields.map((f) => ({ layout: f.layout, name: f.name })), n, bodyLength, maxEntries, 'record batch');
        break;
      }
      case MessageHeader.DictionaryBatch: {
        if (!fields) bad('a dictionary batch before the schema');
        const dict = message.header(new DictionaryBatch()) as DictionaryBatch | null;
        const data = dict?.data();
        if (!dict || !data) bad('unreadable dictionary batch');
        const id = Number(dict.id());
        const owner = fields.find((f) => f.dictionaryId === id);
        if (!owner) bad(`a dictionary batch for id ${id}, which no field uses`);
        const n = Number(data.length());
        entries += n;
        if (!Number.isSafeInteger(n) || n < 0 || entries > limits.rowsMax) bad(`dictionaries claim more than ${limits.rowsMax} entries`);
        checkBuffers(data, [{ layout: { kind: 'var', offsetWidth: 4 }, name: owner.name }], n, bodyLength, maxEntries, 'dictionary batch');
        break;
      }
      default:
        bad(`byte ${pos}: a message of type ${MessageHeader[message.headerType()] ?? message.headerType()}, which is not part of a record batch stream`);
    }
    pos = bodyStart + bodyLength;
  }
  if (!fields) bad('no schema message');
  return rows;
}

function checkBuffers(batch: RecordBatch, fields: { layout: Layout; name: string }[], rows: number, bodyLength: number, maxEntries: number, what: string): void {
  const compression: BodyCompression | null = batch.compression();
  if (compression && compression.codec() !== CompressionType.LZ4_FRAME) bad(`${what} is compressed with ${CompressionType[compression.codec()]}; Strata reads LZ4_FRAME or uncompressed`);
  if (batch.nodesLength() !== fields.length || batch.nodesLength() > maxEntries) bad(`${what} has ${batch.nodesLength()} field nodes for ${fields.length} fields`);
  const wanted = fields.reduce((n, f) => n + (f.layout.kind === 'var' ? 3 : 2), 0);
  if (batch.buffersLength() !== wanted) bad(`${what} has ${batch.buffersLength()} buffers; its fields need ${wanted}`);
  let b = 0;
  for (let i = 0; i < fields.length; i++) {
    const node = batch.nodes(i)!;
    const length = Number(node.length());
    const nulls = Number(node.nullCount());
    if (length !== rows || nulls < 0 || nulls > rows) bad(`${what}: field ${fields[i]!.name} claims ${String(node.length())} values (${String(node.nullCount())} null) in a batch of ${rows} rows`);
    for (const need of needed(fields[i]!.layout, rows, nulls)) {
      const buf = batch.buffers(b++)!;
      const offset = Number(buf.offset()); const size = Number(buf.length());
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > bodyLength) {
        bad(`${what}: a buffer of field ${fields[i]!.name} lies outside the message body`);
      }
      // Compressed, a buffer's first 8 bytes give its uncompressed length; the rows must fit in what it can expand to.
      const holds = compression && size > 0 ? (size - 8) * lz4RatioMax + 64 : size;
      if (holds < need) bad(`${what}: field ${fields[i]!.name} claims ${rows} rows but its buffer holds ${size} bytes`);
    }
  }
}
