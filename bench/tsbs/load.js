// The two ways one generated batch enters a database. Strata gets an Arrow
// IPC stream (tags dictionary-encoded, time in ms, fields float64) through
// its real ingest path. DuckDB gets the fields and a host number as data
// chunks through an appender into a staging table, then one INSERT ... SELECT
// that looks the host's tags up (a projection, so row order is kept), which
// takes about half the time of appending every tag string one at a time.
// Both are built from the same arrays, so both hold the same rows in the
// same order.
import duckdb from '@duckdb/node-bindings';
import { DOUBLE, DuckDBDataChunk, INTEGER, TIMESTAMP } from '@duckdb/node-api';
import * as A from 'apache-arrow';
import { fieldNames, startMs, stepMs, tagNames } from './generate.js';

/** The batch as Arrow IPC stream bytes. */
export function batchToIpc(batch, values) {
  const time = new BigInt64Array(batch.rows);
  const codes = tagNames.map(() => new Int32Array(batch.rows));
  for (let h = 0; h < batch.hosts; h++) {
    const at = h * batch.intervals;
    for (let t = 0; t < batch.intervals; t++) time[at + t] = BigInt(startMs + t * stepMs);
    for (let k = 0; k < tagNames.length; k++) codes[k].fill(batch.hostTags[h][k], at, at + batch.intervals);
  }
  const columns = { time: A.makeVector({ type: new A.TimestampMillisecond(), data: time }) };
  tagNames.forEach((tag, k) => {
    const dictionary = A.vectorFromArray(values[tag], new A.Utf8());
    columns[tag] = A.makeVector(A.makeData({ type: new A.Dictionary(new A.Utf8(), new A.Int32()), length: batch.rows, nullCount: 0, data: codes[k], dictionary }));
  });
  fieldNames.forEach((f, k) => { columns[f] = A.makeVector({ type: new A.Float64(), data: batch.fields[k] }); });
  return A.tableToIPC(new A.Table(columns), 'stream');
}

export const duckdbCreateTables = [
  `create table cpu (time timestamp, ${tagNames.map((t) => `${t} varchar`).join(', ')}, ${fieldNames.map((f) => `${f} double`).join(', ')})`,
  `create table cpu_load (time timestamp, host integer, ${fieldNames.map((f) => `${f} double`).join(', ')})`,
];
export const duckdbDropStaging = 'drop table cpu_load';

const vectorRows = 2048;
const quote = (s) => `'${s.replaceAll("'", "''")}'`;

/** Loads the batch into DuckDB's `cpu` table (through `cpu_load`). */
export async function appendBatch(con, batch, values) {
  const appender = await con.createAppender('cpu_load');
  const chunk = DuckDBDataChunk.create([TIMESTAMP, INTEGER, ...fieldNames.map(() => DOUBLE)]);
  const timeUs = new BigInt64Array(vectorRows);
  const host = new Int32Array(vectorRows);
  for (let offset = 0; offset < batch.rows; offset += vectorRows) {
    const n = Math.min(vectorRows, batch.rows - offset);
    chunk.reset();
    for (let i = 0; i < n; i++) {
      timeUs[i] = BigInt((startMs + ((offset + i) % batch.intervals) * stepMs) * 1000);
      host[i] = Math.floor((offset + i) / batch.intervals);
    }
    duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(chunk.chunk, 0), 0, timeUs.buffer, 0, n * 8);
    duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(chunk.chunk, 1), 0, host.buffer, 0, n * 4);
    for (let k = 0; k < fieldNames.length; k++) {
      const v = batch.fields[k];
      duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(chunk.chunk, 2 + k), 0, v.buffer, v.byteOffset + offset * 8, n * 8);
    }
    duckdb.data_chunk_set_size(chunk.chunk, n);
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
  const tags = tagNames.map((tag, k) => `[${batch.hostTags.map((codes) => quote(values[tag][codes[k]])).join(', ')}][host + 1]`);
  await con.run(`insert into cpu select time, ${tags.join(', ')}, ${fieldNames.join(', ')} from cpu_load`);
  await con.run('delete from cpu_load');
}
