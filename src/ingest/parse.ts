/**
 * Reading a whole batch (CSV with a header, NDJSON, or Arrow IPC stream)
 * into a validated `Batch`. Input is streamed; the raw byte count is checked
 * against batchBytesMax as it arrives, and an input that fails or is cut off
 * (a client that disconnects) fails the batch. Long loops give the event
 * loop a turn every few thousand rows, so one large batch cannot stall the
 * rest of the process.
 */
import { Readable, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as A from 'apache-arrow';
import { parse as parseCsv } from 'csv-parse';
import type { Batch } from '../chunk/batch.js';
import { StrataError, isStrataError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import type { DatasetSchema } from '../schema/schema.js';
import { yieldTurn } from '../core/turn.js';
import { checkArrowStream } from './arrow-check.js';
import { BatchBuilder } from './batch-builder.js';

export const inputFormats = ['csv', 'ndjson', 'arrow'] as const;
export type InputFormat = (typeof inputFormats)[number];

export type BatchInput = Readable | Uint8Array | string;

export interface ParseOptions {
  dataset: string;
  schema: DatasetSchema;
  limits: Limits;
  /** Called as raw bytes are consumed (for progress bars). */
  onBytes?: (total: number) => void;
}

/** Guesses a format from a file name; undefined when the extension says nothing. */
export function formatFromName(name: string): InputFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl') || lower.endsWith('.json')) return 'ndjson';
  if (lower.endsWith('.arrow') || lower.endsWith('.arrows') || lower.endsWith('.ipc')) return 'arrow';
  return undefined;
}

class ByteCounter extends Transform {
  total = 0;
  constructor(private readonly max: number, private readonly onBytes?: (total: number) => void) { super(); }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.total += chunk.length;
    if (this.total > this.max) {
      done(new StrataError('STRATA_ERR_LIMIT_EXCEEDED', `the batch is larger than batchBytesMax = ${this.max} bytes`, { limit: 'batchBytesMax' }));
      return;
    }
    this.onBytes?.(this.total);
    done(null, chunk);
  }
}

function toStream(input: BatchInput): Readable {
  if (typeof input === 'string') return Readable.from([Buffer.from(input)]);
  if (input instanceof Uint8Array) return Readable.from([Buffer.from(input.buffer, input.byteOffset, input.byteLength)]);
  return input;
}

/** Rows between turns given to the event loop. */
const rowsPerTurn = 8192;

export async function parseBatch(input: BatchInput, format: InputFormat, opts: ParseOptions): Promise<Batch> {
  const counted = new ByteCounter(opts.limits.batchBytesMax, opts.onBytes);
  // pipeline (unlike pipe) passes the source's failure on, so a dropped upload ends the read instead of hanging it.
  pipeline(toStream(input), counted).catch(() => {});
  const builder = new BatchBuilder(opts.dataset, opts.schema, opts.limits);
  try {
    switch (format) {
      case 'csv': await readCsv(counted, builder); break;
      case 'ndjson': await readNdjson(counted, builder); break;
      case 'arrow': await readArrow(counted, builder, opts.limits); break;
      default: throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `unknown input format ${JSON.stringify(format)} (formats: ${inputFormats.join(', ')})`);
    }
  } catch (e) {
    if (isStrataError(e)) throw e;
    throw new StrataError('STRATA_ERR_BAD_FORMAT', `${opts.dataset}: cannot read the ${format} input: ${(e as Error).message}`, { dataset: opts.dataset }, { cause: e });
  }
  return builder.finish();
}

/**
 * CSV through csv-parse. Line numbers are counted here rather than asked of
 * the parser (its per-record info object costs a fifth of the parse): a
 * record starts one line after the previous one plus the newlines inside its
 * quoted fields, and blank lines are seen (not skipped by the parser) so they
 * count too.
 */
/** Decodes UTF-8 strictly (as NDJSON does): invalid bytes are an error, not replacement characters. */
function strictUtf8(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try { done(null, decoder.decode(chunk, { stream: true })); } catch { done(new StrataError('STRATA_ERR_BAD_FORMAT', 'the CSV input is not valid UTF-8')); }
    },
    flush(done) {
      try { done(null, decoder.decode()); } catch { done(new StrataError('STRATA_ERR_BAD_FORMAT', 'the CSV input is not valid UTF-8 (it ends inside a character)')); }
    },
  });
}

async function readCsv(input: Readable, builder: BatchBuilder): Promise<void> {
  const parser = parseCsv({ bom: true, relax_column_count: true, skip_empty_lines: false });
  let header: number[] | null = null;
  let line = 0;
  const consume = new Transform({
    objectMode: true,
    transform(record: string[], _enc, done) {
      try {
        line++;
        const start = line;
        for (const field of record) {
          for (let i = field.indexOf('\n'); i >= 0; i = field.indexOf('\n', i + 1)) line++;
        }
        if (record.length === 1 && record[0] === '' && (header === null || header.length !== 1)) { done(); return; }
        if (header === null) {
          header = record.map((name) => builder.columnIndex(name.trim(), `line ${start} (header)`));
          const seen = new Set<number>();
          for (const [i, c] of header.entries()) {
            if (seen.has(c)) throw new StrataError('STRATA_ERR_BAD_FORMAT', `line ${start} (header): column ${record[i]} appears twice`, { line: start, column: record[i] });
            seen.add(c);
          }
        } else {
          if (record.length !== header.length) {
            throw new StrataError('STRATA_ERR_BAD_FORMAT', `line ${start}: ${record.length} fields, but the header names ${header.length}`, { line: start });
          }
          const place = { line: start };
          const row = builder.addRow(place);
          for (let i = 0; i < header.length; i++) builder.setText(row, header[i]!, record[i]!, place);
          if (row % rowsPerTurn === rowsPerTurn - 1) { setImmediate(done); return; }
        }
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
  try {
    await pipeline(input, strictUtf8(), parser, consume);
  } catch (e) {
    if (isStrataError(e)) throw e;
    const err = e as Error & { lines?: number };
    throw new StrataError('STRATA_ERR_BAD_FORMAT', `CSV${err.lines ? ` line ${err.lines}` : ''}: ${err.message}`, err.lines ? { line: err.lines } : {});
  }
  if (header === null) throw new StrataError('STRATA_ERR_BAD_FORMAT', 'the CSV input is empty: a header line naming the columns is required');
}

/**
 * NDJSON, one JSON object per line. A line may arrive in many pieces: they
 * are kept in a list and joined once its end is seen, so a long line costs
 * linear time.
 */
async function readNdjson(input: Readable, builder: BatchBuilder): Promise<void> {
  let line = 0;
  let pieces: string[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const handle = (text: string): void => {
    line++;
    if (text.trim() === '') return;
    let obj: unknown;
    try { obj = JSON.parse(text); } catch (e) {
      throw new StrataError('STRATA_ERR_BAD_FORMAT', `line ${line}: not valid JSON (${(e as Error).message})`, { line });
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new StrataError('STRATA_ERR_BAD_FORMAT', `line ${line}: each line must be a JSON object${Array.isArray(obj) ? ' (a JSON array of objects is read when it is the whole input)' : ''}`, { line });
    }
    addObject(builder, obj as Record<string, unknown>, { line });
  };
  const first = { seen: false, array: false };
  for await (const chunk of input) {
    const text = decoder.decode(chunk as Buffer, { stream: true });
    if (!first.seen && text.trim() !== '') {
      first.seen = true;
      first.array = text.trimStart().startsWith('[');
    }
    if (first.array) { pieces.push(text); continue; }
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      pieces.push(text.slice(start, nl));
      const l = pieces.join('');
      pieces = [];
      handle(l.endsWith('\r') ? l.slice(0, -1) : l);
      start = nl + 1;
      if (line % rowsPerTurn === 0) await yieldTurn();
    }
    if (start < text.length) pieces.push(text.slice(start));
  }
  pieces.push(decoder.decode());
  const rest = pieces.join('');
  if (first.array) await readJsonArray(rest, builder);
  else if (rest !== '') handle(rest);
}

/** A whole input that is one JSON array of objects (what many tools export as "JSON"). */
async function readJsonArray(text: string, builder: BatchBuilder): Promise<void> {
  let items: unknown;
  try { items = JSON.parse(text); } catch (e) {
    throw new StrataError('STRATA_ERR_BAD_FORMAT', `the input starts with "[" but is not a valid JSON array (${(e as Error).message}); send NDJSON (one object per line) or one JSON array of objects`);
  }
  if (!Array.isArray(items)) throw new StrataError('STRATA_ERR_BAD_FORMAT', 'the input is not a JSON array of objects');
  for (let i = 0; i < items.length; i++) {
    const obj = items[i] as unknown;
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new StrataError('STRATA_ERR_BAD_FORMAT', `array item ${i + 1}: each item must be a JSON object`, { row: i + 1 });
    }
    addObject(builder, obj as Record<string, unknown>, { row: i + 1 });
    if (i % rowsPerTurn === rowsPerTurn - 1) await yieldTurn();
  }
}

function addObject(builder: BatchBuilder, obj: Record<string, unknown>, place: { line: number } | { row: number }): void {
  const row = builder.addRow(place);
  for (const [k, v] of Object.entries(obj)) {
    const col = builder.columnIndex(k, 'line' in place ? `line ${place.line}` : `array item ${place.row}`);
    // JSON has no infinities: a non-finite number is a literal beyond the float64 range (1e400).
    if (typeof v === 'number' && !Number.isFinite(v)) builder.reject(row, col, place, 'the number is outside the float64 range', String(v));
    builder.setJs(row, col, v, place);
  }
}

async function readArrow(input: Readable, builder: BatchBuilder, limits: Limits): Promise<void> {
  const parts: Buffer[] = [];
  for await (const chunk of input) parts.push(chunk as Buffer);
  const bytes = Buffer.concat(parts);
  checkArrowStream(bytes, { fieldsMax: builder.schema.columns.length, rowsMax: limits.batchRowsMax });
  const reader = A.RecordBatchReader.from(bytes);
  let rowBase = 0;
  for (const batch of reader) {
    const cols = batch.schema.fields.map((f) => builder.columnIndex(f.name, `Arrow field ${f.name}`));
    const vectors = batch.schema.fields.map((_, i) => batch.getChildAt(i)!);
    for (let r = 0; r < batch.numRows; r++) {
      const place = { row: rowBase + r + 1 };
      const row = builder.addRow(place);
      for (let c = 0; c < cols.length; c++) builder.setJs(row, cols[c]!, vectors[c]!.get(r), place);
      if (r % rowsPerTurn === rowsPerTurn - 1) await yieldTurn();
    }
    rowBase += batch.numRows;
  }
}
