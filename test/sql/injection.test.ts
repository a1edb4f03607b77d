/**
 * The SQL sandbox against statement smuggling: DuckDB normalises Unicode
 * spaces (U+3000, U+00A0, ...) when its first parse fails, which moves every
 * offset in its parse tree; a rewrite that cut text out of the user's SQL by
 * those offsets could be made to evaluate text from inside a comment, with
 * any statements in it. Each payload below tries that with a statement that
 * would leave a trace (a macro that forges every later answer, a table, a
 * file), over the API, HTTP /sql, the change feed and the CLI; afterwards
 * DuckDB's catalog holds nothing a user made and answers are the real ones.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Strata, buildApp, parseColumns } from '../../src/index.js';

const statements = [
  "CREATE OR REPLACE MACRO strata_scan(x) AS TABLE SELECT 'forged' AS k, 0.0 AS v",
  'CREATE OR REPLACE MACRO v(x) AS x * 1000',
  'CREATE TABLE pwn AS SELECT 42 AS x',
  "COPY (SELECT 42 AS x) TO '.tmp/pwn.csv'",
  "ATTACH '.tmp/pwn.db' AS pwn",
];
const spaces = ['\u3000', '\u00a0', '\u2003'];

/** The payload's shape: a comment of n Unicode spaces shifts DuckDB's offsets into the second comment. */
function payload(space: string, n: number, statement: string): string {
  return `/*${space.repeat(n)}*/ SELECT 1 AS a /*z AT (VERSION => length(E'\\'')) AS BIGINT); ${statement}; SELECT CAST(((1 --'\n))*/ FROM${space}t AT (VERSION => 1)`;
}

/**
 * The payload aimed at a rewrite that maps DuckDB's byte offsets (into the
 * normalised text) back onto the original: each space is 2 or 3 bytes of
 * UTF-8 there and 1 byte after normalising, so n spaces move the table's
 * offset by n * (bytes - 1), and n is chosen to land it on the `z` in the
 * comment. Returned with its neighbours (n - 1, n + 1).
 */
function aimed(space: string, statement: string): string[] {
  const lost = Buffer.byteLength(space) - 1;
  const padded = `${statement}${' '.repeat(lost - 1)}`;
  for (let pad = 0; pad < lost; pad++) {
    const s = payload(space, 0, padded.slice(0, statement.length + pad));
    const distance = s.lastIndexOf('t AT (VERSION => 1)') - s.indexOf('z AT');
    if (distance % lost === 0) {
      const n = distance / lost;
      return [n - 1, n, n + 1].map((k) => payload(space, k, padded.slice(0, statement.length + pad)));
    }
  }
  throw new Error('unreachable');
}

const payloads = (list: readonly string[]): string[] => spaces.flatMap((space) => list.flatMap((s) => aimed(space, s)));

const catalogChecks = {
  tables: 'select count(*) as n from duckdb_tables()',
  views: 'select count(*) as n from duckdb_views() where not internal',
  macros: 'select count(*) as n from duckdb_functions() where not internal',
  databases: "select count(*) as n from duckdb_databases() where database_name not in ('memory', 'system', 'temp')",
};

async function expectClean(sql: (q: string) => Promise<unknown[][]>): Promise<void> {
  for (const [what, q] of Object.entries(catalogChecks)) expect(await sql(q), what).toEqual([[0]]);
  expect(await sql('select k, v from t order by k')).toEqual([['a', 1], ['b', 2]]);
}

describe('SQL smuggled through Unicode spaces and the AT clause', () => {
  let db: Strata;
  let app: FastifyInstance;
  let base: string;
  const work = mkdtempSync(path.join(tmpdir(), 'strata-inject-'));
  const cwd = process.cwd();

  beforeAll(async () => {
    // DuckDB resolves relative paths against the process's folder; .tmp is where its temp directory would be.
    mkdirSync(path.join(work, '.tmp'));
    process.chdir(work);
    db = await Strata.open({ store: 'memory:' });
    await db.createDataset('t', { columns: parseColumns('k:string,v:float64'), partitionKey: ['k'] });
    await db.ingest('t', 'k,v\na,1\nb,2\n', 'csv');
    app = await buildApp(db);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await db.close();
    process.chdir(cwd);
  });

  it('runs nothing but the query DuckDB parsed, whatever the shift (API)', async () => {
    const tries = [...payloads(statements), ...spaces.flatMap((space) => statements.flatMap((s) => [0, 1, 2, 8, 33].map((n) => payload(space, n, s))))];
    for (const q of tries) {
      const r = await db.sql(q).catch((e: Error) => e);
      // What DuckDB parsed is `SELECT 1 AS a FROM t AT (VERSION => 1)`: one row of 1 per row of t.
      if (!(r instanceof Error)) expect(r.rows, q).toEqual([[1], [1]]);
    }
    await expectClean(async (q) => (await db.sql(q)).rows);
    expect(readdirSync(path.join(work, '.tmp'))).toEqual([]);
  });

  it('runs nothing smuggled over HTTP /sql and the change feed', async () => {
    const post = async (sql: string): Promise<{ status: number; body: { rows?: unknown[][] } }> => {
      const r = await fetch(`${base}/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
      return { status: r.status, body: await r.json() as { rows?: unknown[][] } };
    };
    for (const q of payloads(statements)) {
      const r = await post(q);
      if (r.status === 200) expect(r.body.rows).toEqual([[1], [1]]);
      const feed = new AbortController();
      const f = await fetch(`${base}/datasets/t/changes?from=1&sql=${encodeURIComponent(q)}`, { signal: feed.signal });
      feed.abort();
      expect([200, 400, 404]).toContain(f.status);
    }
    await expectClean(async (q) => (await post(q)).body.rows!);
  });

  it('runs nothing smuggled through strata sql', async () => {
    const store = path.join(work, 'store');
    const run = promisify(execFile);
    const bin = path.join(cwd, 'bin/strata');
    const strata = (...args: string[]) => run(process.execPath, [bin, '--store', store, ...args], { cwd: work }).catch((e: { stdout: string; stderr: string }) => e);
    writeFileSync(path.join(work, 't.csv'), 'k,v\na,1\nb,2\n');
    await strata('create', 't', '--schema', 'k:string,v:float64', '--partition-key', 'k');
    await strata('ingest', 't', path.join(work, 't.csv'));
    for (const q of [statements[0]!, statements[3]!].flatMap((s) => aimed('\u3000', s))) {
      const r = await strata('sql', q, '--format', 'json');
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace, whatever the answer
      // A macro smuggled in would answer for t in the same process: one forged row instead of t's two.
      if (r.stderr === '') expect(JSON.parse(r.stdout)).toEqual([{ a: 1 }, { a: 1 }]);
    }
    expect(existsSync(path.join(work, '.tmp', 'pwn.csv'))).toBe(false);
  });
});
