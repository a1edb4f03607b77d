/**
 * SQL golden files (test/sql/golden/*.slt): for each case, the path Strata
 * takes (engine-aggregate or duckdb-scan) and the exact rows. With
 * STRATA_GOLDEN_UPDATE=1 the rows are rewritten, but only after they were
 * checked against DuckDB's own answer over the source CSV.
 */
import { createReadStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, parseColumns } from '../../src/index.js';
import { weatherCsvPath } from '../../src/demo/sample-data.js';
import { sameRows } from '../helpers/compare.js';
import { referenceDuckDB, referenceRows } from '../helpers/reference.js';

const dir = path.join('test', 'sql', 'golden');
const update = process.env.STRATA_GOLDEN_UPDATE === '1';
const weatherTypes = "{'location':'VARCHAR','date':'TIMESTAMP','precipitation':'DOUBLE','temp_max':'DOUBLE','temp_min':'DOUBLE','wind':'DOUBLE','weather':'VARCHAR'}";

interface Case { path: string; title: string; sql: string; rows: string[]; start: number; end: number }

function parseGolden(text: string): Case[] {
  const cases: Case[] = [];
  const re = /^query (\S+) (.*)\n([\s\S]*?)\n----\n((?:.+\n)*)/gm;
  for (const m of text.matchAll(re)) {
    cases.push({ path: m[1]!, title: m[2]!, sql: m[3]!.trim(), rows: m[4]!.split('\n').filter((l) => l !== ''), start: m.index!, end: m.index! + m[0].length });
  }
  return cases;
}

describe('SQL golden files', () => {
  let db: Strata;
  let ref: Awaited<ReturnType<typeof referenceDuckDB>>;

  beforeAll(async () => {
    db = await Strata.open({ store: 'memory:' });
    await db.createDataset('weather', {
      columns: parseColumns('location:string,date:timestamp,precipitation:float64,temp_max:float64,temp_min:float64,wind:float64,weather:string'),
      partitionKey: ['location'], sortKey: ['date'], chunkRows: 500,
    });
    await db.ingest('weather', createReadStream(weatherCsvPath()), 'csv');
    ref = await referenceDuckDB();
    await ref.con.run(`CREATE TABLE weather AS SELECT * FROM read_csv('${weatherCsvPath()}', header=true, types=${weatherTypes})`);
  });
  afterAll(async () => { await db.close(); ref.close(); });

  for (const file of readdirSync(dir).filter((f) => f.endsWith('.slt'))) {
    const full = path.join(dir, file);
    const cases = parseGolden(readFileSync(full, 'utf8'));
    it(`${file}: ${cases.length} cases`, async () => {
      expect(cases.length).toBeGreaterThan(0);
      let text = readFileSync(full, 'utf8');
      for (const c of [...cases].reverse()) {
        const r = await db.sql(c.sql);
        const lines = r.rows.map((row) => JSON.stringify(row));
        if (update) {
          const theirs = await referenceRows(ref.con, c.sql);
          expect(sameRows(r.rows, theirs), `${c.title}: Strata and DuckDB differ`).toBe(true);
          text = `${text.slice(0, c.start)}query ${r.explain.path} ${c.title}\n${c.sql}\n----\n${lines.map((l) => `${l}\n`).join('')}${text.slice(c.end)}`;
          continue;
        }
        expect(r.explain.path, c.title).toBe(c.path);
        expect(c.rows.length, `${c.title}: golden rows present`).toBeGreaterThan(0);
        expect(lines, c.title).toEqual(c.rows);
      }
      if (update) writeFileSync(full, text);
    });
  }
});
