/**
 * Every way a `strata` command can fail, as a user meets it: a non-zero exit
 * status, `error [STRATA_ERR_...]: message` on stderr naming what went wrong
 * in the user's terms, and never a stack trace.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = path.resolve('bin/strata');
const work = mkdtempSync(path.join(tmpdir(), 'strata-cli-errors-'));
const store = path.join(work, 'store');

async function strata(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, '--store', store, ...args], { cwd: work });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('strata CLI errors', () => {
  beforeAll(async () => {
    writeFileSync(path.join(work, 'good.csv'), 'k,v\na,1\n');
    writeFileSync(path.join(work, 'bad.csv'), 'k,v\na,one\n');
    writeFileSync(path.join(work, 'rows.json'), '[{"k":"b","v":2},{"k":"c","v":3}]');
    mkdirSync(path.join(work, 'folder.csv'));
    expect((await strata('create', 't', '--schema', 'k:string,v:int32', '--partition-key', 'k')).code).toBe(0);
  });

  const failures: [string, string[], string, RegExp][] = [
    ['a missing input file', ['ingest', 't', 'missing.csv'], 'STRATA_ERR_INVALID_ARGUMENT', /cannot read missing\.csv: no such file/],
    ['a folder as input', ['ingest', 't', 'folder.csv'], 'STRATA_ERR_INVALID_ARGUMENT', /folder\.csv is not a file/],
    ['a file of unknown format', ['ingest', 't', 'missing.xyz'], 'STRATA_ERR_INVALID_ARGUMENT', /--input-format/],
    ['a bad value', ['ingest', 't', 'bad.csv'], 'STRATA_ERR_BAD_ROW', /line 2, column v/],
    ['ingest into an unknown dataset', ['ingest', 'nope', 'good.csv'], 'STRATA_ERR_DATASET_NOT_FOUND', /nope/],
    ['a writer without a seq', ['ingest', 't', 'good.csv', '--writer', 'w'], 'STRATA_ERR_INVALID_ARGUMENT', /writer and seq/],
    ['a bad seq', ['ingest', 't', 'good.csv', '--writer', 'w', '--seq', '-1'], 'STRATA_ERR_INVALID_ARGUMENT', /--seq/],
    ['SQL that does not parse', ['sql', 'selec 1'], 'STRATA_ERR_SQL_PARSE', /syntax error/],
    ['SQL naming an unknown dataset', ['sql', 'select temp_max from weather'], 'STRATA_ERR_DATASET_NOT_FOUND', /no dataset named weather \(datasets: t\)/],
    ['SQL naming an unknown column', ['sql', 'select temp_mx from t'], 'STRATA_ERR_SQL_EXECUTION', /temp_mx/],
    ['SQL that writes', ['sql', 'create table x as select 1'], 'STRATA_ERR_SQL_READ_ONLY', /SELECT/],
    ['time travel to a missing version', ['sql', 'select * from t AT (VERSION => 99)'], 'STRATA_ERR_VERSION_NOT_FOUND', /99/],
    ['a bad schema', ['create', 'u', '--schema', 'a:decimal'], 'STRATA_ERR_INVALID_SCHEMA', /decimal/],
    ['a taken name', ['create', 't', '--schema', 'a:int32'], 'STRATA_ERR_DATASET_EXISTS', /t/],
    ['a bad name', ['create', 'Bad-Name', '--schema', 'a:int32'], 'STRATA_ERR_INVALID_NAME', /Bad-Name/],
    ['describe an unknown dataset', ['describe', 'nope'], 'STRATA_ERR_DATASET_NOT_FOUND', /nope/],
    ['drop an unknown dataset', ['drop', 'nope'], 'STRATA_ERR_DATASET_NOT_FOUND', /nope/],
    ['roll back to a missing version', ['rollback', 't', '--to', '99'], 'STRATA_ERR_VERSION_NOT_FOUND', /99/],
    ['add a column of an unknown type', ['add-column', 't', 'x:money'], 'STRATA_ERR_INVALID_SCHEMA', /money/],
    ['an unknown command', ['frobnicate'], 'STRATA_ERR_INVALID_ARGUMENT', /unknown command/],
    ['a missing argument', ['ingest'], 'STRATA_ERR_INVALID_ARGUMENT', /missing required argument/],
    ['an unknown option', ['datasets', '--colour'], 'STRATA_ERR_INVALID_ARGUMENT', /unknown option/],
    ['a bad store URL', ['--store', 'ftp://x/y', 'datasets'], 'STRATA_ERR_STORE_URL', /ftp/],
  ];

  for (const [what, args, code, message] of failures) {
    it(`fails with a code on ${what}`, async () => {
      const r = await strata(...args);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`^error \\[${code}\\]: `));
      expect(r.stderr).toMatch(message);
      expect(r.stderr, 'a stack trace').not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(r.stderr, 'the bound query').not.toMatch(/strata_scan|LINE \d+:/);
    });
  }

  it('reads a JSON array of objects and prints its version', async () => {
    expect((await strata('ingest', 't', 'rows.json', '--format', 'json')).stdout).toBe('{"version":1,"rows":2,"duplicate":false}\n');
    expect((await strata('--version')).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
