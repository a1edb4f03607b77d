/**
 * The `after` fence of appends (what the Kafka source sends per partition):
 * a new batch is stored only while the writer's newest seq is the one it
 * says it follows; a retry of a stored batch is still a duplicate.
 */
import { describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';

describe('append fenced on the previous seq', () => {
  it('stores a batch only after the seq it names, and answers retries as before', async () => {
    const db = await Strata.open({ store: 'memory:' });
    await db.createDataset('t', { columns: parseColumns('k:string,v:int32') });
    const row = (v: number): string => JSON.stringify({ k: 'a', v });
    expect(await db.ingest('t', row(1), 'ndjson', { writer: 'p0', seq: 5, after: -1 })).toMatchObject({ version: 1, duplicate: false });
    // A second process that also resumed from "nothing stored" is refused, and nothing is written.
    await expect(db.ingest('t', row(2), 'ndjson', { writer: 'p0', seq: 9, after: -1 })).rejects.toMatchObject({ code: 'STRATA_ERR_WRITER_MOVED', details: { seq: 5 } });
    expect(await db.headVersion('t')).toBe(1);
    expect(await db.ingest('t', row(2), 'ndjson', { writer: 'p0', seq: 9, after: 5 })).toMatchObject({ version: 2, duplicate: false });
    // The retry of a stored batch is a duplicate, whatever it says it follows.
    expect(await db.ingest('t', row(1), 'ndjson', { writer: 'p0', seq: 5, after: -1 })).toMatchObject({ version: 1, duplicate: true });
    await expect(db.ingest('t', row(3), 'ndjson', { after: 9 })).rejects.toMatchObject({ code: 'STRATA_ERR_INVALID_ARGUMENT' });
    expect((await db.sql('select sum(v) from t')).rows).toEqual([[3]]);
    await db.close();
  });
});
