/**
 * Parsing in a scan worker (what the Kafka source does) gives the batch the
 * main thread gives, column by column, and refuses bad input with the same
 * code and message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';
import type { InputFormat } from '../../src/index.js';

describe('parsing in a worker', () => {
  let db: Strata;
  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:', limits: { scanWorkers: 2 } });
    await db.createDataset('p', { columns: parseColumns('id:int64,name:string,ts:timestamp,v:float64,n:int32,ok:bool') });
  });
  afterAll(async () => { await db.close(); });

  const both = async (text: string, format: InputFormat): Promise<[unknown, unknown]> => {
    const run = (offThread: boolean): Promise<unknown> => db.parse('p', Buffer.from(text), format, { offThread }).then(
      ({ batch }) => ({ rows: batch.rows, columns: [...batch.columns].map(([name, c]) => [name, c.type, Array.from(c.values as ArrayLike<unknown>), Array.from(c.isNull)]) }),
      (e: { code: string; message: string }) => ({ code: e.code, message: e.message }));
    return [await run(false), await run(true)];
  };

  it('gives the same columns for NDJSON and CSV, NULLs, int64 beyond 2^53 and accents included', async () => {
    const ndjson = [
      { id: '9007199254740993', name: 'Kyōto "quoted"', ts: '2026-01-01T00:00:00Z', v: 1.5, n: -7, ok: true },
      { id: '-3', name: null, ts: null, v: null, n: null, ok: null },
      { id: '12', name: '', ts: 1_700_000_000_000, v: -0.25, n: 2_147_483_647, ok: false },
    ].map((r) => JSON.stringify(r)).join('\n');
    const [main, worker] = await both(ndjson, 'ndjson');
    expect((main as { rows: number }).rows).toBe(3);
    expect(worker).toEqual(main);
    const csv = 'id,name,ts,v,n,ok\n9007199254740993,"São, Paulo",2026-01-01,1.5,3,true\n4,,,,,\n';
    const [m2, w2] = await both(csv, 'csv');
    expect((m2 as { rows: number }).rows).toBe(2);
    expect(w2).toEqual(m2);
  });

  it('refuses bad input with the same error', async () => {
    for (const [text, format] of [['{"id": "x"}', 'ndjson'], ['not json', 'ndjson'], ['id,n\n1,99999999999\n', 'csv'], ['{"nope": 1}', 'ndjson']] as [string, InputFormat][]) {
      const [main, worker] = await both(text, format);
      expect((main as { code?: string }).code, text).toMatch(/^STRATA_ERR_/);
      expect(worker, text).toEqual(main);
    }
  });
});
