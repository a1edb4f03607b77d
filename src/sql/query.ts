/**
 * Running one SQL query: parse it with DuckDB, bind each dataset reference
 * (at its version) to a prepared strata_scan, rewrite the text, run it in the
 * sandbox, and return JSON-safe rows.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { StrataError, isStrataError } from '../core/errors.js';
import type { Column } from '../schema/schema.js';
import type { Snapshot } from '../versions/snapshot.js';
import { parseQuery } from './parse-tree.js';
import type { QueryShape } from './parse-tree.js';
import { normalizeJson } from './result-json.js';
import { applyReplacements, refExtent } from './rewrite.js';
import type { ScanChunk } from './scan.js';
import { registerScan, releaseScan, scanFunctionName } from './scan.js';

/** What the SQL layer needs from the database below it. */
export interface ScanSource {
  listDatasets(): Promise<string[]>;
  snapshot(dataset: string, version?: number): Promise<Snapshot>;
  versionAt(dataset: string, timeMs: number): Promise<number>;
  readChunks(snapshot: Snapshot, columns: readonly Column[]): Promise<ScanChunk[]>;
}

export interface ResultColumn { name: string; type: string }
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface QueryResult {
  columns: ResultColumn[];
  rows: JsonValue[][];
}

export interface QueryOptions {
  resultRowsMax: number;
}

async function evalScalar(con: DuckDBConnection, sqlExpr: string): Promise<unknown> {
  try {
    const r = await con.runAndReadAll(`SELECT ${sqlExpr}`);
    return r.getRowsJson()[0]?.[0];
  } catch (e) {
    throw new StrataError('STRATA_ERR_SQL_EXECUTION', `cannot evaluate the AT clause: ${(e as Error).message}`);
  }
}

async function resolveVersion(con: DuckDBConnection, source: ScanSource, dataset: string, unit: string, expr: string): Promise<number> {
  switch (unit.toUpperCase()) {
    case 'VERSION': {
      const v = Number(await evalScalar(con, `CAST((${expr}) AS BIGINT)`));
      if (!Number.isSafeInteger(v)) throw new StrataError('STRATA_ERR_VERSION_NOT_FOUND', `AT (VERSION => ${expr}) is not a version number`, { dataset });
      return v;
    }
    case 'TIMESTAMP': {
      const ms = Number(await evalScalar(con, `epoch_ms(CAST((${expr}) AS TIMESTAMP))`));
      return source.versionAt(dataset, ms);
    }
    default:
      throw new StrataError('STRATA_ERR_SQL_PARSE', `AT (${unit} => ...) is not supported: use VERSION or TIMESTAMP`, { dataset });
  }
}

function neededColumns(shape: QueryShape, all: readonly Column[], tableNames: string[]): Column[] {
  const whole = shape.needsAllColumns || tableNames.some((n) => shape.columnNames.has(n.toLowerCase()));
  return whole ? [...all] : all.filter((c) => shape.columnNames.has(c.name));
}

export async function runQuery(con: DuckDBConnection, source: ScanSource, sql: string, options: QueryOptions): Promise<QueryResult> {
  const shape = await parseQuery(con, sql);
  const datasets = new Set(await source.listDatasets());
  const tokens: string[] = [];
  try {
    const replacements: { start: number; end: number; text: string }[] = [];
    for (const ref of shape.tables) {
      const name = ref.table.toLowerCase();
      if (ref.catalog || (ref.schema && ref.schema.toLowerCase() !== 'main')) continue;
      if (shape.cteNames.has(name) || !datasets.has(name)) {
        if (ref.at) throw new StrataError('STRATA_ERR_DATASET_NOT_FOUND', `AT clause on ${ref.table}, which is not a dataset`, { dataset: ref.table });
        continue;
      }
      const extent = refExtent(sql, ref);
      const version = ref.at && extent.atExpr !== null ? await resolveVersion(con, source, name, ref.at.unit, extent.atExpr) : undefined;
      const snapshot = await source.snapshot(name, version);
      const columns = neededColumns(shape, snapshot.schema.columns, [name, ref.alias]);
      const chunks = await source.readChunks(snapshot, columns);
      const token = registerScan({ dataset: name, version: snapshot.version, columns: snapshot.schema.columns, chunks });
      tokens.push(token);
      const alias = extent.aliasText || name;
      replacements.push({ start: extent.start, end: extent.end, text: `${scanFunctionName}('${token}') AS ${alias}${extent.columnAliasText}` });
    }
    const rewritten = applyReplacements(sql, replacements);
    let reader;
    try {
      reader = await con.streamAndReadUntil(rewritten, options.resultRowsMax + 1);
    } catch (e) {
      throw new StrataError('STRATA_ERR_SQL_EXECUTION', (e as Error).message.replace(new RegExp(`${scanFunctionName}\\('[0-9a-f]+'\\)`, 'g'), 'dataset'));
    }
    if (reader.currentRowCount > options.resultRowsMax) {
      throw new StrataError('STRATA_ERR_LIMIT_EXCEEDED', `the result has more than resultRowsMax = ${options.resultRowsMax} rows; add a LIMIT or aggregate`, { limit: 'resultRowsMax' });
    }
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const rows = (reader.getRowsJson() as JsonValue[][]).map((row) => row.map((v, c) => normalizeJson(v, types[c]!)));
    return { columns: names.map((name, i) => ({ name, type: types[i]!.toString() })), rows };
  } catch (e) {
    if (isStrataError(e)) throw e;
    throw new StrataError('STRATA_ERR_SQL_EXECUTION', (e as Error).message);
  } finally {
    for (const t of tokens) releaseScan(t);
  }
}
