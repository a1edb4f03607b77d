/**
 * Reading a whole batch (CSV with a header, NDJSON, or Arrow IPC stream)
 * into a validated `Batch`. Input is streamed; the raw byte count is checked
 * against batchBytesMax as it arrives.
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

export async function parseBatch(input: BatchInput, format: InputFormat, opts: ParseOptions): Promise<Batch> {
  const counted = toStream(input).pipe(new ByteCounter(opts.limits.batchBytesMax, opts.onBytes));
  const builder = new BatchBuilder(opts.dataset, opts.schema, opts.limits);
  try {
    switch (format) {
      case 'csv': await readCsv(counted, builder); break;
      case 'ndjson': await readNdjson(counted, builder); break;
      case 'arrow': await readArrow(counted, builder); break;
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
        }
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
  try {
    await pipeline(input, parser, consume);
  } catch (e) {
    if (isStrataError(e)) throw e;
    const err = e as Error & { lines?: number };
    throw new StrataError('STRATA_ERR_BAD_FORMAT', `CSV${err.lines ? ` line ${err.lines}` : ''}: ${err.message}`, err.lines ? { line: err.lines } : {});
  }
  if (header === null) throw new StrataError('STRATA_ERR_BAD_FORMAT', 'the CSV input is empty: a header line naming the columns is required');
}

async function readNdjson(input: Readable, builder: BatchBuilder): Promise<void> {
  let line = 0;
  let rest = '';
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const handle = (text: string): void => {
    line++;
    if (text.trim() === '') return;
    let obj: unknown;
    try { obj = JSON.parse(text); } catch (e) {
      throw new StrataError('STRATA_ERR_BAD_FORMAT', `line ${line}: not valid JSON (${(e as Error).message})`, { line });
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new StrataError('STRATA_ERR_BAD_FORMAT', `line ${line}: each line must be a JSON object`, { line });
    }
    const row = builder.addRow({ line });
    for (const [k, v] of Object.entries(obj)) builder.setJs(row, builder.columnIndex(k, `line ${line}`), v, { line });
  };
  for await (const chunk of input) {
    const text = rest + decoder.decode(chunk as Buffer, { stream: true });
    const lines = text.split('\n');
    rest = lines.pop()!;
    for (const l of lines) handle(l.endsWith('\r') ? l.slice(0, -1) : l);
  }
  rest += decoder.decode();
  if (rest !== '') handle(rest);
}

async function readArrow(input: Readable, builder: BatchBuilder): Promise<void> {
  const reader = await A.RecordBatchReader.from(input);
  let rowBase = 0;
  for await (const batch of reader) {
    const cols = batch.schema.fields.map((f) => builder.columnIndex(f.name, `Arrow field ${f.name}`));
    const vectors = batch.schema.fields.map((_, i) => batch.getChildAt(i)!);
    for (let r = 0; r < batch.numRows; r++) {
      const place = { row: rowBase + r + 1 };
      const row = builder.addRow(place);
      for (let c = 0; c < cols.length; c++) builder.setJs(row, cols[c]!, vectors[c]!.get(r), place);
    }
    rowBase += batch.numRows;
  }
}
