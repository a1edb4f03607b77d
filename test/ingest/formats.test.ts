/** CSV, NDJSON and Arrow IPC batches: what is accepted, and how a refusal names line, column and reason. */
import * as A from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';

const columns = parseColumns('host:string,ts:timestamp,n:int32,big:int64,v:float64,ok:bool');

describe('ingest formats', () => {
  let db: Strata;
  beforeEach(async () => {
    db = await Strata.open({ store: 'memory:' });
    await db.createDataset('t', { columns, partitionKey: ['host'], sortKey: ['ts'] });
  });
  afterEach(() => db.close());

  const all = async (): Promise<unknown[][]> => (await db.sql("select host, strftime(ts, '%Y-%m-%d %H:%M:%S.%g') as ts, n, big, v, ok from t order by ts, host")).rows;

  it('reads CSV with quoting, embedded newlines, a BOM, CRLF, missing and reordered columns', async () => {
    const text = '\ufeffts,host,v,ok\r\n2026-01-01T00:00:00Z,"a,1",1.5,true\r\n"2026-01-01 00:00:01.250",a,-2e3,F\r\n2026-01-01 00:00:02+01:00,"multi\nline",,\r\n';
    expect(await db.ingest('t', text, 'csv')).toMatchObject({ rows: 3, duplicate: false });
    expect(await all()).toEqual([
      ['multi\nline', '2025-12-31 23:00:02.000', null, null, null, null], // +01:00: one hour earlier in UTC
      ['a,1', '2026-01-01 00:00:00.000', null, null, 1.5, true],
      ['a', '2026-01-01 00:00:01.250', null, null, -2000, false],
    ]);
  });

  it('names the line of a bad value even after a quoted multi-line field', async () => {
    const text = 'host,ts,n\n"x\ny",2026-01-01,1\nz,2026-01-01,12.5\n';
    await expect(db.ingest('t', text, 'csv')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_ROW', details: { line: 4, column: 'n' } });
    expect((await db.versions('t')).length).toBe(1);
  });

  it('counts blank lines and CRLF line ends in line numbers', async () => {
    const text = 'host,n\r\na,1\r\n\r\n\r\nb,2\r\n"c\r\nd",3\r\ne,x\r\n';
    await expect(db.ingest('t', text, 'csv')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_ROW', details: { line: 8, column: 'n' } });
    expect(await db.ingest('t', text.replace(',x', ',4'), 'csv')).toMatchObject({ rows: 4 });
  });

  it('refuses unknown columns, ragged rows, out-of-range and malformed values', async () => {
    await expect(db.ingest('t', 'host,nope\na,1\n', 'csv')).rejects.toMatchObject({ code: 'STRATA_ERR_UNKNOWN_COLUMN', details: { column: 'nope' } });
    await expect(db.ingest('t', 'host,n\na,1,2\n', 'csv')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_FORMAT' });
    await expect(db.ingest('t', 'host,n\na,2147483648\n', 'csv')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_ROW', details: { line: 2, column: 'n' } });
    await expect(db.ingest('t', 'host,big\na,9223372036854775808\n', 'csv')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_ROW', details: { column: 'big' } });
    await expect(db.ingest('t', 'host,ts\na,2026-02-30\n', 'csv')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_ROW', details: { column: 'ts' } });
    await expect(db.ingest('t', 'host,ok\na,maybe\n', 'csv')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_ROW', details: { column: 'ok' } });
    await expect(db.ingest('t', '', 'csv')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_FORMAT' });
    expect((await db.versions('t')).length).toBe(1);
  });

  it('keeps int64 exact beyond 2^53', async () => {
    await db.ingest('t', 'host,big\na,9223372036854775807\nb,-9223372036854775808\nc,9007199254740993\n', 'csv');
    expect((await db.sql('select big::varchar from t order by big')).rows).toEqual([['-9223372036854775808'], ['9007199254740993'], ['9223372036854775807']]);
  });

  it('reads NDJSON and names the line of a bad value or bad JSON', async () => {
    const text = '{"host":"a","ts":1767225600000,"n":1,"big":"12","v":0.5,"ok":true}\n\n{"host":"b","ts":"2026-01-01T00:00:00.001Z","v":null}\n';
    expect(await db.ingest('t', text, 'ndjson')).toMatchObject({ rows: 2 });
    expect(await all()).toEqual([['a', '2026-01-01 00:00:00.000', 1, 12, 0.5, true], ['b', '2026-01-01 00:00:00.001', null, null, null, null]]);
    await expect(db.ingest('t', '{"host":"a"}\n{"host":"a","n":"x"}\n', 'ndjson')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_ROW', details: { line: 2, column: 'n' } });
    await expect(db.ingest('t', '{"host":"a"}\n{"host":\n', 'ndjson')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_FORMAT', details: { line: 2 } });
    await expect(db.ingest('t', '[1,2]\n', 'ndjson')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_FORMAT', details: { row: 1 } });
    await expect(db.ingest('t', '{"host":"a","v":{"x":1}}\n', 'ndjson')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_ROW', details: { column: 'v' } });
  });

  it('reads an Arrow IPC stream and names the row of a bad value', async () => {
    const table = new A.Table({
      host: A.vectorFromArray(['a', 'b', 'a']),
      ts: A.vectorFromArray([Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 2), null], new A.TimestampMillisecond()),
      n: A.makeVector(Int32Array.from([1, 2, 3])),
      v: A.makeVector(Float64Array.from([0.25, NaN, -1])),
    });
    expect(await db.ingest('t', A.tableToIPC(table, 'stream'), 'arrow')).toMatchObject({ rows: 3 });
    expect((await db.sql('select host, n, v, ts from t order by n')).rows).toEqual([['a', 1, 0.25, '2026-01-01 00:00:00'], ['b', 2, 'NaN', '2026-01-02 00:00:00'], ['a', 3, -1, null]]);
    const bad = A.tableFromArrays({ host: ['a', 'b'], n: Float64Array.from([1, 2.5]) });
    await expect(db.ingest('t', A.tableToIPC(bad, 'stream'), 'arrow')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_ROW', details: { row: 2, column: 'n' } });
    await expect(db.ingest('t', Buffer.from('not arrow at all'), 'arrow')).rejects.toMatchObject({ code: 'STRATA_ERR_BAD_FORMAT' });
  });

  it('enforces batchRowsMax and batchBytesMax', async () => {
    const small = await Strata.open({ store: 'memory:', limits: { batchRowsMax: 2, batchBytesMax: 64 } });
    try {
      await small.createDataset('t', { columns });
      await expect(small.ingest('t', 'host\na\nb\nc\n', 'csv')).rejects.toMatchObject({ code: 'STRATA_ERR_LIMIT_EXCEEDED', details: { limit: 'batchRowsMax' } });
      await expect(small.ingest('t', `host\n${'x'.repeat(100)}\n`, 'csv')).rejects.toMatchObject({ code: 'STRATA_ERR_LIMIT_EXCEEDED', details: { limit: 'batchBytesMax' } });
      expect((await small.versions('t')).length).toBe(1);
    } finally {
      await small.close();
    }
  });
});
