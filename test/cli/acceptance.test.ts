/**
 * The CLI as a user runs it: bin/strata in a child process, a fresh store
 * folder, weather.csv from vega-datasets. Every answer is checked the way a
 * user would check it (the group-by answer against DuckDB reading the CSV).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { weatherCsvPath } from '../../src/demo/sample-data.js';
import { cassandraUrl } from '../helpers/cassandra.js';
import { referenceDuckDB, referenceRows } from '../helpers/reference.js';

const run = promisify(execFile);
const bin = path.resolve('bin/strata');
const csv = weatherCsvPath();
const schema = 'location:string,date:timestamp,precipitation:float64,temp_max:float64,temp_min:float64,wind:float64,weather:string';

interface Outcome { code: number; stdout: string; stderr: string }

function cli(store: string) {
  return async (...args: string[]): Promise<Outcome> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: { ...process.env, STRATA_STORE: store } });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
}

async function json(p: Promise<Outcome>): Promise<unknown> {
  const o = await p;
  expect(o.stderr).toBe('');
  expect(o.code).toBe(0);
  return JSON.parse(o.stdout);
}

function cliAcceptance(backend: string, storeLocation: (work: string) => string): void {
  describe(`strata CLI on weather.csv: ${backend} store`, () => {
    const work = mkdtempSync(path.join(tmpdir(), 'strata-cli-'));
    const strata = cli(storeLocation(work));
    const count = async (sql: string): Promise<unknown> => json(strata('sql', sql, '--format', 'json'));

    beforeAll(async () => {
      const created = await strata('create', 'weather', '--schema', schema, '--partition-key', 'location', '--sort-key', 'date');
      expect(created.code).toBe(0);
    });

    it('runs the whole flow: ingest, duplicate, time travel, rollback, re-send', async () => {
      expect(await json(strata('ingest', 'weather', csv, '--writer', 'loader', '--seq', '1', '--format', 'json'))).toEqual({ version: 1, rows: 2922, duplicate: false });
      expect(await json(strata('ingest', 'weather', csv, '--writer', 'loader', '--seq', '1', '--format', 'json'))).toEqual({ version: 1, rows: 2922, duplicate: true });
      expect(await json(strata('versions', 'weather', '--format', 'json'))).toHaveLength(2);
      expect(await count('select count(*) as n from weather')).toEqual([{ n: 2922 }]);

      expect(await json(strata('ingest', 'weather', csv, '--writer', 'loader', '--seq', '2', '--format', 'json'))).toEqual({ version: 2, rows: 2922, duplicate: false });
      expect(await count('select count(*) as n from weather')).toEqual([{ n: 5844 }]);
      expect(await count('select count(*) as n from weather AT (VERSION => 1)')).toEqual([{ n: 2922 }]);

      const rolled = await strata('rollback', 'weather', '--to', '1', '--format', 'json');
      expect(JSON.parse(rolled.stdout)).toEqual({ version: 3, rollbackTo: 1 });
      expect(await count('select count(*) as n from weather')).toEqual([{ n: 2922 }]);
      expect(await json(strata('ingest', 'weather', csv, '--writer', 'loader', '--seq', '2', '--format', 'json'))).toEqual({ version: 4, rows: 2922, duplicate: false });

      const versions = await json(strata('versions', 'weather', '--format', 'json')) as { version: number; kind: string; rowsAdded: number; writer: string | null; seq: number | null; time: string }[];
      expect(versions.map((v) => [v.version, v.kind, v.rowsAdded, v.writer, v.seq])).toEqual([
        [0, 'create', 0, null, null], [1, 'append', 2922, 'loader', 1], [2, 'append', 2922, 'loader', 2],
        [3, 'rollback', 0, null, null], [4, 'append', 2922, 'loader', 2],
      ]);
      for (const v of versions) expect(Number.isNaN(Date.parse(v.time))).toBe(false);

      expect(await json(strata('tag', 'weather', 'first-load', '1', '--format', 'json'))).toMatchObject({ name: 'first-load', version: 1 });
      expect(await count("select count(*) as n from weather AT (VERSION => 'first-load')")).toEqual([{ n: 2922 }]);
      const table = await strata('versions', 'weather');
      expect(table.stdout).toMatch(/rollback/);
      expect(table.stdout).toMatch(/first-load/);
      const missing = await strata('untag', 'weather', 'no-such');
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('STRATA_ERR_TAG_NOT_FOUND');
      expect((await strata('untag', 'weather', 'first-load')).stdout).toMatch(/removed tag first-load \(version 1\)/);
      expect(await json(strata('retention', 'weather', '30d', '--format', 'json'))).toEqual({ dataset: 'weather', retainMs: 30 * 86_400_000, retention: 'dataset' });
      expect(await json(strata('retention', 'weather', 'default', '--format', 'json'))).toMatchObject({ retention: 'default' });
      const sql = 'select location, max(temp_max) from weather group by 1 order by 1';
      const ours = await json(strata('sql', sql, '--format', 'json')) as Record<string, unknown>[];
      const ref = await referenceDuckDB();
      try {
        const theirs = await referenceRows(ref.con, `select location, max(temp_max) from read_csv('${csv}', header=true) group by 1 order by 1`);
        expect(ours.map((r) => Object.values(r))).toEqual(theirs);
        expect(Object.keys(ours[0]!)).toEqual(['location', 'max(temp_max)']);
      } finally {
        ref.close();
      }
    });

    it('refuses a batch with a bad value, naming line and column, writing nothing', async () => {
      const lines = readFileSync(csv, 'utf8').split('\n');
      lines[16] = lines[16]!.split(',').map((v, i) => (i === 2 ? 'abc' : v)).join(',');
      const bad = path.join(work, 'bad.csv');
      writeFileSync(bad, lines.join('\n'));
      const before = await strata('versions', 'weather', '--format', 'json');
      const o = await strata('ingest', 'weather', bad, '--writer', 'loader', '--seq', '9');
      expect(o.code).not.toBe(0);
      expect(o.stdout).toBe('');
      expect(o.stderr).toMatch(/line 17/);
      expect(o.stderr).toMatch(/precipitation/);
      expect(o.stderr).toMatch(/STRATA_ERR_BAD_ROW/);
      expect((await strata('versions', 'weather', '--format', 'json')).stdout).toBe(before.stdout);
    });

    it('refuses names that could leave the store, and sandbox escapes', async () => {
      for (const name of ['../x', 'a/b', '/tmp/x', 'X', '.x', '']) {
        const o = await strata('create', name, '--schema', 'a:int32');
        expect(o.code).not.toBe(0);
        expect(o.stderr).toMatch(/STRATA_ERR_INVALID_NAME/);
      }
      const o = await strata('sql', "select * from read_csv('/etc/passwd')");
      expect(o.code).not.toBe(0);
      expect(o.stderr).toMatch(/disabled by configuration/);
      const w = await strata('sql', 'delete from weather');
      expect(w.code).not.toBe(0);
      expect(w.stderr).toMatch(/STRATA_ERR_SQL_READ_ONLY/);
    });

    it('lists, describes, adds a column, prints csv, and drops', async () => {
      expect(await json(strata('datasets', '--format', 'json'))).toEqual([expect.objectContaining({ name: 'weather', version: 4, rows: 5844 })]);
      const d = await json(strata('describe', 'weather', '--format', 'json')) as { schema: { partitionKey: string[] }; partitions: number };
      expect(d.schema.partitionKey).toEqual(['location']);
      expect(d.partitions).toBe(2);
      expect((await strata('add-column', 'weather', 'humidity:float64')).code).toBe(0);
      expect(await count('select count(humidity) as n, count(*) as m from weather')).toEqual([{ n: 0, m: 5844 }]);
      const c = await strata('sql', "select location, count(*) as n from weather group by 1 order by 1", '--format', 'csv');
      expect(c.stdout).toBe('location,n\nNew York,2922\nSeattle,2922\n');
      expect((await strata('drop', 'weather')).code).toBe(0);
      expect(await json(strata('datasets', '--format', 'json'))).toEqual([]);
      const gone = await strata('describe', 'weather');
      expect(gone.stderr).toMatch(/STRATA_ERR_DATASET_NOT_FOUND/);
    });

    it('has --help with examples on every command', async () => {
      for (const c of ['create', 'datasets', 'describe', 'drop', 'ingest', 'versions', 'rollback', 'add-column', 'sql', 'tail', 'serve']) {
        const o = await strata(c, '--help');
        expect(o.code).toBe(0);
        expect(o.stdout).toMatch(/Examples:\n {2}\$ strata /);
      }
    });
  });
}

cliAcceptance('local', (work) => path.join(work, 'store'));
cliAcceptance('cassandra', () => cassandraUrl('strata_cli'));
