/**
 * Arrow IPC streams that lie: headers built with the flatbuffer classes
 * apache-arrow itself uses, claiming whatever field count, row count and
 * buffer sizes a test wants, over a body of any size. For refusal tests and
 * the HTTP fuzzer.
 */
import { Builder } from 'flatbuffers';
import { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { Field } from 'apache-arrow/fb/field';
import { FieldNode } from 'apache-arrow/fb/field-node';
import { FloatingPoint } from 'apache-arrow/fb/floating-point';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { Precision } from 'apache-arrow/fb/precision';
import { RecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema } from 'apache-arrow/fb/schema';
import { Type } from 'apache-arrow/fb/type';

/** Frames a message header and body: continuation marker, padded length, header, body. */
function frame(meta: Uint8Array, body: Uint8Array): Uint8Array {
  const padded = Math.ceil(meta.length / 8) * 8;
  const out = new Uint8Array(8 + padded + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xffffffff, true);
  view.setInt32(4, padded, true);
  out.set(meta, 8);
  out.set(body, 8 + padded);
  return out;
}

export const endOfStream = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** A schema message of float64 fields named `names`, whose field vector claims `claimedFields` entries. */
export function schemaMessage(names: string[], claimedFields = names.length): Uint8Array {
  const b = new Builder(256);
  const fields = names.map((n) => {
    const name = b.createString(n);
    FloatingPoint.startFloatingPoint(b);
    FloatingPoint.addPrecision(b, Precision.DOUBLE);
    const type = FloatingPoint.endFloatingPoint(b);
    const children = Field.createChildrenVector(b, []);
    Field.startField(b);
    Field.addName(b, name);
    Field.addNullable(b, true);
    Field.addTypeType(b, Type.FloatingPoint);
    Field.addType(b, type);
    Field.addChildren(b, children);
    return Field.endField(b);
  });
  const vector = Schema.createFieldsVector(b, fields);
  Schema.startSchema(b);
  Schema.addFields(b, vector);
  const schema = Schema.endSchema(b);
  const message = Message.createMessage(b, MetadataVersion.V5, MessageHeader.Schema, schema, 0n, 0);
  b.finish(message);
  const meta = b.asUint8Array().slice();
  // The vector's length word sits where its offset (counted from the buffer's end) says.
  new DataView(meta.buffer).setUint32(meta.length - vector, claimedFields, true);
  return frame(meta, new Uint8Array(0));
}

/** A record batch of float64 columns claiming `rows` rows, with each column's buffers as given (over `body`). */
export function batchMessage(rows: number, buffers: { offset: number; length: number }[], body: Uint8Array, fields = buffers.length / 2): Uint8Array {
  const b = new Builder(256);
  RecordBatch.startBuffersVector(b, buffers.length);
  for (const x of [...buffers].reverse()) FbBuffer.createBuffer(b, BigInt(x.offset), BigInt(x.length));
  const buffersVector = b.endVector();
  RecordBatch.startNodesVector(b, fields);
  for (let i = 0; i < fields; i++) FieldNode.createFieldNode(b, BigInt(rows), 0n);
  const nodes = b.endVector();
  RecordBatch.startRecordBatch(b);
  RecordBatch.addLength(b, BigInt(rows));
  RecordBatch.addNodes(b, nodes);
  RecordBatch.addBuffers(b, buffersVector);
  const batch = RecordBatch.endRecordBatch(b);
  const message = Message.createMessage(b, MetadataVersion.V5, MessageHeader.RecordBatch, batch, BigInt(body.length), 0);
  b.finish(message);
  return frame(b.asUint8Array().slice(), body);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Honest float64 rows for column `name`: a stream any Arrow reader reads. */
export function honestStream(name: string, values: number[]): Uint8Array {
  const body = new Uint8Array(values.length * 8);
  new Float64Array(body.buffer).set(values);
  return concat(schemaMessage([name]), batchMessage(values.length, [{ offset: 0, length: 0 }, { offset: 0, length: body.length }], body), endOfStream);
}
