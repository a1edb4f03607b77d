/**
 * Running one SQL query: parse it with DuckDB, bind each dataset reference
 * (at its version) to a prepared strata_scan, rewrite the text, run it in the
 * sandbox, and return JSON-safe rows.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { StrataError, isStrataError } from '../core/errors.js';
import { namePattern } from '../core/names.js';
import type { Column } from '../schema/schema.js';
import type { Snapshot } from '../versions/snapshot.js';
import { parseQuery } from './parse-tree.js';
import type { QueryShape } from './parse-tree.js';
import { normalizeJson } from './result-json.js';
import { applyReplacements, refExtent } from './rewrite.js';
import type { Predicate } from '../engine/predicate.js';
import type { ScanChunk, ScanStats } from '../engine/scan.js';
import { collectScopes, extractPredicates } from './pushdown.js';
import { aggregate } from '../engine/aggregate.js';
import { planAggregate } from './aggregate-plan.js';
import { shapeRows } from './engine-aggregate.js';
import { registerScan, releaseScan, scanFunctionName } from './scan.js';

/** What the SQL layer needs from the database below it. */
export interface ScanSource {
  /** The newest snapshot, or null when there is no such dataset. */
  head(dataset: string): Promise<Snapshot | null>;
  snapshot(dataset: string, version?: number): Promise<Snapshot>;
  versionAt(dataset: string, timeMs: number): Promise<number>;
  scan(snapshot: Snapshot, columns: readonly Column[], predicates: readonly Predicate[]): Promise<{ chunks: ScanChunk[]; stats: ScanStats }>;
}

export interface ResultColumn { name: string; type: string }
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface QueryResult {
  columns: ResultColumn[];
  rows: JsonValue[][];
  /** What the query did, stage by stage (always measured; cheap). */
  explain: QueryExplain;
}

export interface QueryExplain {
  /** `duckdb-scan`: datasets scanned by Strata (pruned, filtered), the rest of the plan in DuckDB. */
  path: string;
  scans: ScanStats[];
  parseMs: number;
  scanMs: number;
  duckdbMs: number;
}

export interface QueryOptions {
  resultRowsMax: number;
  /** Apply WHERE conjuncts in the scan (prune and filter). Off only to compare answers. */
  pushdown: boolean;
  /** Compute recognized aggregate queries in the engine. Off only to compare answers. */
  engine: boolean;
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
  const t0 = performance.now();
  const shape = await parseQuery(con, sql);
  const scopes = options.pushdown ? collectScopes(shape.root) : new Map();
  const tokens: string[] = [];
  const scans: ScanStats[] = [];
  const t1 = performance.now();
  try {
    const replacements: { start: number; end: number; text: string }[] = [];
    for (const ref of shape.tables) {
      const name = ref.table.toLowerCase();
      if (ref.catalog || (ref.schema && ref.schema.toLowerCase() !== 'main')) continue;
      // The head snapshot doubles as the existence check: one round of head checks per dataset.
      const head = shape.cteNames.has(name) || !namePattern.test(name) ? null : await source.head(name);
      if (!head) {
        if (ref.at) throw new StrataError('STRATA_ERR_DATASET_NOT_FOUND', `AT clause on ${ref.table}, which is not a dataset`, { dataset: ref.table });
        continue;
      }
      const extent = refExtent(sql, ref);
      const version = ref.at && extent.atExpr !== null ? await resolveVersion(con, source, name, ref.at.unit, extent.atExpr) : undefined;
      const snapshot = version === undefined || version === head.version ? head : await source.snapshot(name, version);
      const columns = neededColumns(shape, snapshot.schema.columns, [name, ref.alias]);
      const scope = scopes.get(ref.node);
      const predicates = scope ? extractPredicates(scope, ref.alias ? [ref.alias] : [ref.table], snapshot.schema.columns) : [];
      const plan = options.engine && options.pushdown ? planAggregate(shape, snapshot.schema) : null;
      if (plan && plan.conjuncts === predicates.length) {
        // The engine aggregates; DuckDB runs the same query over an empty scan only to name and type the output.
        const wanted = snapshot.schema.columns.filter((c) => plan.columns.includes(c.name));
        const { chunks, stats } = await source.scan(snapshot, wanted, predicates);
        const groups = aggregate(chunks, plan.keys, plan.aggs);
        const token = registerScan({ dataset: name, version: snapshot.version, columns: snapshot.schema.columns, chunks: [] });
        tokens.push(token);
        const alias = extent.aliasText || name;
        const t2 = performance.now();
        const empty = await con.runAndReadAll(applyReplacements(sql, [{ start: extent.start, end: extent.end, text: `${scanFunctionName}('${token}') AS ${alias}${extent.columnAliasText}` }]));
        const resultColumns = empty.columnNames().map((n, i) => ({ name: n, type: empty.columnTypes()[i]!.toString() }));
        const rows = shapeRows(plan, groups, resultColumns);
        if (rows) {
          if (rows.length > options.resultRowsMax) {
            throw new StrataError('STRATA_ERR_LIMIT_EXCEEDED', `the result has more than resultRowsMax = ${options.resultRowsMax} rows; add a LIMIT or aggregate`, { limit: 'resultRowsMax' });
          }
          return { columns: resultColumns, rows, explain: { path: 'engine-aggregate', scans: [stats], parseMs: t1 - t0, scanMs: t2 - t1, duckdbMs: performance.now() - t2 } };
        }
      }
      const { chunks, stats } = await source.scan(snapshot, columns, predicates);
      scans.push(stats);
      const token = registerScan({ dataset: name, version: snapshot.version, columns: snapshot.schema.columns, chunks });
      tokens.push(token);
      const alias = extent.aliasText || name;
      replacements.push({ start: extent.start, end: extent.end, text: `${scanFunctionName}('${token}') AS ${alias}${extent.columnAliasText}` });
    }
    const rewritten = applyReplacements(sql, replacements);
    const t2 = performance.now();
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
    const t3 = performance.now();
    return {
      columns: names.map((name, i) => ({ name, type: types[i]!.toString() })), rows,
      explain: { path: 'duckdb-scan', scans, parseMs: t1 - t0, scanMs: t2 - t1, duckdbMs: t3 - t2 },
    };
  } catch (e) {
    if (isStrataError(e)) throw e;
    throw new StrataError('STRATA_ERR_SQL_EXECUTION', (e as Error).message);
  } finally {
    for (const t of tokens) releaseScan(t);
  }
}
