/**
 * Running one SQL query: parse it with DuckDB, bind each dataset reference
 * (at its version) to a prepared strata_scan by replacing its node in the
 * parse tree (tree.ts), have DuckDB print the bound tree, and run that as a
 * single prepared statement in the sandbox. The answer is read as a cursor,
 * one DuckDB vector at a time, so a large result never sits whole in memory.
 */
import { JsonDuckDBValueConverter } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { StrataError, isStrataError } from '../core/errors.js';
import { namePattern } from '../core/names.js';
import type { Column } from '../schema/schema.js';
import type { Snapshot } from '../versions/snapshot.js';
import type { ChunkRef } from '../chunk/chunk.js';
import { parseShared, sharedBound } from './literal-template.js';
import type { QueryShape, TableRef } from './parse-tree.js';
import { normalizeJson } from './result-json.js';
import type { JsonValue, ResultColumn } from './result-types.js';
import type { Predicate } from '../engine/predicate.js';
import type { ScanChunk, ScanStats } from '../engine/scan.js';
import { collectScopes, extractPredicates } from './pushdown.js';
import type { AggSpec, GroupResult, KeySpec } from '../engine/aggregate.js';
import { planTopN } from './topn-plan.js';
import { describeKernels } from '../kernels/index.js';
import { planAggregate } from './aggregate-plan.js';
import { countConjuncts } from './nodes.js';
import type { Node } from './nodes.js';
import { planLastPoint, planLastPointIn } from './lastpoint-plan.js';
import { planSelect } from './select-plan.js';
import { findSemiJoin, innerSql, semiJoinKeysMax, semiJoinSql } from './semi-join.js';
import type { SemiJoin } from './semi-join.js';
import { nthFirstKey, selectRows } from './engine-select.js';
import type { SelectPlan } from './select-plan.js';
import { shapeRows } from './engine-aggregate.js';
import { registerScan, releaseScan, scanFunctionName } from './scan.js';
import { engineColumnsCache, engineColumnsKey, fillTemplate, placeholderToken, planCache } from './plan-cache.js';
import type { BoundTemplate, CachedQuery } from './plan-cache.js';
import { atClauseSelect, printSelect, replaceNodes, scanNode } from './tree.js';

/** What the SQL layer needs from the database below it. */
export interface ScanSource {
  /** The newest snapshot, or null when there is no such dataset. */
  head(dataset: string): Promise<Snapshot | null>;
  snapshot(dataset: string, version?: number): Promise<Snapshot>;
  versionAt(dataset: string, timeMs: number): Promise<number>;
  /** The version a tag names. */
  tagVersion(dataset: string, tag: string): Promise<number>;
  /** `lastBy`: only the rows at their partition's greatest value of that column are needed (a last-point query). */
  scan(snapshot: Snapshot, columns: readonly Column[], predicates: readonly Predicate[], hints?: { lastBy?: string; rowsOnly?: boolean }): Promise<{ chunks: ScanChunk[]; stats: ScanStats }>;
  /** The engine's groups of a scan (in the scan workers when it is large); null when DuckDB must answer. */
  aggregate(snapshot: Snapshot, columns: readonly Column[], predicates: readonly Predicate[], keys: readonly KeySpec[], aggs: readonly AggSpec[], hints?: { rowsOnly?: boolean }): Promise<{ groups: GroupResult | null; stats: ScanStats }>;
  /** Dataset names, to say which exist when a query names one that does not. */
  datasets(): Promise<string[]>;
}

export type { JsonValue, ResultColumn } from './result-types.js';

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
  /** The kernels that ran: 'native (avx2)', 'typescript (why)'. */
  kernels: string;
  /** A join run as a semi-join: the derived table's keys, applied as an IN list (its scans come first). */
  semiJoinKeys?: number;
}

export interface QueryOptions {
  resultRowsMax: number;
  /** Dataset references one query may make (each is a snapshot read and a scan). */
  queryDatasetRefsMax: number;
  /** Apply WHERE conjuncts in the scan (prune and filter). Off only to compare answers. */
  pushdown: boolean;
  /** Compute recognized aggregate queries in the engine. Off only to compare answers. */
  engine: boolean;
}

/** Some rows of an answer: JSON forms, and (from DuckDB) the typed values column by column. */
export interface ResultBatch {
  rows: JsonValue[][];
  /** DuckDB's values (bigint for 64-bit integers, timestamp objects with micros, ...) column-major; absent for engine answers. */
  values?: () => unknown[][];
}

/** An answer read batch by batch. `close` must be called (it releases the scans). */
export interface QueryCursor {
  readonly columns: ResultColumn[];
  readonly types: DuckDBType[];
  readonly explain: QueryExplain;
  next(): Promise<ResultBatch | null>;
  close(): void;
}

function limitError(options: QueryOptions): StrataError {
  return new StrataError('STRATA_ERR_LIMIT_EXCEEDED', `the result has more than resultRowsMax = ${options.resultRowsMax} rows; add a LIMIT or aggregate`, { limit: 'resultRowsMax' });
}

/** Runs a single expression (the AT clause's, placed into a template tree) as one prepared statement. */
async function evalAt(con: DuckDBConnection, ref: TableRef, dataset: string): Promise<unknown> {
  const unit = ref.at!.unit.toUpperCase();
  if (unit !== 'VERSION' && unit !== 'TIMESTAMP') {
    throw new StrataError('STRATA_ERR_SQL_PARSE', `AT (${ref.at!.unit} => ...) is not supported: use VERSION or TIMESTAMP`, { dataset });
  }
  const sql = await atClauseSelect(con, unit, ref.at!.expr);
  let value: unknown;
  try {
    const prepared = await con.prepare(sql);
    try { value = (await prepared.runAndReadAll()).getRowsJson()[0]?.[0]; } finally { prepared.destroySync(); }
  } catch (e) {
    throw new StrataError('STRATA_ERR_SQL_EXECUTION', `cannot evaluate the AT clause of ${dataset}: ${cleanMessage((e as Error).message, new Map())}`, { dataset });
  }
  if (value === null || value === undefined) {
    throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `AT (${unit} => ...) on ${dataset} is NULL; give a ${unit === 'VERSION' ? 'version number' : 'point in time'}`, { dataset });
  }
  return value;
}

/** The tag of `AT (VERSION => 'name')`: a string constant where a version number goes. */
function tagName(ref: TableRef): string | null {
  const e = ref.at!.expr as Node | undefined;
  const v = e?.type === 'VALUE_CONSTANT' ? (e.value as Node | undefined) : undefined;
  const type = (v?.type as Node | undefined)?.id;
  return ref.at!.unit.toUpperCase() === 'VERSION' && type === 'VARCHAR' && v?.is_null === false && typeof v.value === 'string' ? v.value : null;
}

async function resolveVersion(con: DuckDBConnection, source: ScanSource, ref: TableRef, dataset: string): Promise<number> {
  const tag = tagName(ref);
  if (tag !== null) return source.tagVersion(dataset, tag);
  const value = Number(await evalAt(con, ref, dataset));
  if (ref.at!.unit.toUpperCase() === 'TIMESTAMP') return source.versionAt(dataset, value);
  if (!Number.isSafeInteger(value) || value < 0) throw new StrataError('STRATA_ERR_VERSION_NOT_FOUND', `AT (VERSION => ${String(value)}) is not a version number of ${dataset}`, { dataset });
  return value;
}

function neededColumns(shape: QueryShape, all: readonly Column[], tableNames: string[]): Column[] {
  const whole = shape.needsAllColumns || tableNames.some((n) => shape.columnNames.has(n.toLowerCase()));
  return whole ? [...all] : all.filter((c) => shape.columnNames.has(c.name));
}

/**
 * DuckDB's message about the bound query, speaking of the user's query: the
 * scan tokens become dataset names, and the quoted text of the bound query
 * (which the user never wrote) is left out.
 */
export function cleanMessage(message: string, tokens: ReadonlyMap<string, string>): string {
  let m = message.split(/\n+LINE \d+:/)[0]!.trimEnd();
  m = m.replace(new RegExp(`${scanFunctionName}\\('([0-9a-f]*)'\\)`, 'g'), (_, t: string) => tokens.get(t) ?? 'a dataset');
  return m;
}

async function unknownDataset(source: ScanSource, name: string): Promise<StrataError> {
  const names = await source.datasets();
  const listed = names.length === 0 ? 'the store has no datasets' : `datasets: ${names.slice(0, 20).join(', ')}${names.length > 20 ? `, ... (${names.length})` : ''}`;
  return new StrataError('STRATA_ERR_DATASET_NOT_FOUND', `no dataset named ${name} (${listed})`, { dataset: name });
}

/** A semi-join (semi-join.ts): the derived table's keys first, then the outer query with them as an IN list; null to run the join as written. */
async function openSemiJoin(con: DuckDBConnection, source: ScanSource, semi: SemiJoin, options: QueryOptions): Promise<QueryCursor | null> {
  const inner = await openQuery(con, source, await innerSql(con, semi), options);
  const rows: JsonValue[][] = [];
  try {
    if (inner.columns.length !== 1) return null;
    for (let b = await inner.next(); b && rows.length <= semiJoinKeysMax; b = await inner.next()) rows.push(...b.rows);
  } catch (e) {
    // More keys than resultRowsMax allows one answer: the join, run as written, may still answer.
    if (isStrataError(e, 'STRATA_ERR_LIMIT_EXCEEDED')) return null;
    throw e;
  } finally {
    inner.close();
  }
  const text = await semiJoinSql(con, semi, inner.columns[0]!, rows);
  if (text === null) return null;
  const outer = await openQuery(con, source, text, options);
  outer.explain.scans.unshift(...inner.explain.scans);
  outer.explain.semiJoinKeys = rows.length;
  return outer;
}

/** Binds the query's dataset references and opens its answer as a cursor. */
export async function openQuery(con: DuckDBConnection, source: ScanSource, sql: string, options: QueryOptions): Promise<QueryCursor> {
  const t0 = performance.now();
  let cached = planCache.get(sql);
  if (!cached) {
    cached = { ...(await parseShared(con, sql)), bound: new Map() };
    planCache.set(sql, cached);
  }
  const entry = cached;
  const shape = entry.shape;
  if (options.engine && options.pushdown) {
    entry.semiJoin ??= findSemiJoin(shape) ?? false;
    if (entry.semiJoin) {
      const answer = await openSemiJoin(con, source, entry.semiJoin, options);
      if (answer) return answer;
    }
  }
  if (shape.tables.length > options.queryDatasetRefsMax) {
    throw new StrataError('STRATA_ERR_LIMIT_EXCEEDED', `the query references ${shape.tables.length} tables; queryDatasetRefsMax = ${options.queryDatasetRefsMax}`, { limit: 'queryDatasetRefsMax' });
  }
  const scopes = options.pushdown ? collectScopes(shape.root) : new Map();
  const tokens = new Map<string, string>();
  const release = (): void => { for (const t of tokens.keys()) releaseScan(t); tokens.clear(); };
  const scans: ScanStats[] = [];
  const t1 = performance.now();
  try {
    const bindings: { ref: TableRef; token: string; columns: readonly Column[] }[] = [];
    const root = shape.parsed.counterpart.get(shape.root as object)!;
    for (const ref of shape.tables) {
      const name = ref.table.toLowerCase();
      if (ref.catalog || (ref.schema && ref.schema.toLowerCase() !== 'main')) continue;
      if (shape.cteNames.has(name) && !ref.at) continue;
      // A file path is DuckDB's (a replacement scan), and the sandbox refuses it there.
      if (!namePattern.test(name) && /[./\\:]/.test(name)) continue;
      // The head snapshot doubles as the existence check: one round of head checks per dataset.
      const head = namePattern.test(name) ? await source.head(name) : null;
      if (!head) throw await unknownDataset(source, ref.table);
      const version = ref.at ? await resolveVersion(con, source, ref, name) : undefined;
      const snapshot = version === undefined || version === head.version ? head : await source.snapshot(name, version);
      const columns = neededColumns(shape, snapshot.schema.columns, [name, ref.alias]);
      const scope = scopes.get(ref.node);
      const predicates = scope ? extractPredicates(scope, ref.alias ? [ref.alias] : [ref.table], snapshot.schema.columns) : [];
      const plan = options.engine && options.pushdown ? planAggregate(shape, snapshot.schema) : null;
      if (plan && plan.conjuncts === predicates.length) {
        // The engine aggregates; DuckDB runs the same query over an empty scan only to name and type the output.
        const wanted = snapshot.schema.columns.filter((c) => plan.columns.includes(c.name));
        let groups: GroupResult | null = null;
        let stats: ScanStats | undefined;
        const top = planTopN(plan, snapshot, predicates);
        if (top) {
          // The candidate buckets first; enough groups among them make the answer.
          const narrow = await source.aggregate(snapshot, wanted, [...predicates, top.predicate], plan.keys, plan.aggs);
          const g = narrow.groups;
          if (g && g.keys.filter((k) => k[top.keyIndex] !== null).length >= top.needed) { groups = g; stats = narrow.stats; }
        }
        if (!stats) {
          // count(*) alone: chunks that statistics show wholly inside the WHERE are counted, not read.
          const rowsOnly = plan.keys.length === 0 && plan.aggs.every((a) => a.fn === 'count_star' && !a.filter);
          const full = await source.aggregate(snapshot, wanted, predicates, plan.keys, plan.aggs, rowsOnly ? { rowsOnly } : {});
          groups = full.groups;
          stats = full.stats;
        }
        const t2 = performance.now();
        const typed = await engineColumns(con, entry, root, ref, snapshot, tokens);
        const rows = groups && shapeRows(plan, groups, typed.columns);
        if (rows) {
          release();
          if (rows.length > options.resultRowsMax) throw limitError(options);
          const explain = { path: 'engine-aggregate', scans: [stats], parseMs: t1 - t0, scanMs: t2 - t1, duckdbMs: performance.now() - t2, kernels: describeKernels() };
          return rowsCursor(typed.columns, typed.types, rows, explain);
        }
      }
      // Every WHERE conjunct must be applied in the scan: for a selection the engine answers,
      // and for a last point (the newest rows must be the newest of the rows DuckDB keeps).
      const exact = options.engine && options.pushdown && predicates.length === countConjuncts(scope?.where ?? null);
      const select = exact ? planSelect(shape, snapshot.schema) : null;
      if (select) {
        const selectScans: ScanStats[] = [];
        const keyBound = await topRowsBound(source, snapshot, select, predicates, selectScans);
        const scanned = await source.scan(snapshot, snapshot.schema.columns.filter((c) => select.columns.includes(c.name)), keyBound ? [...predicates, keyBound] : predicates);
        selectScans.push(scanned.stats);
        const t2 = performance.now();
        const typed = await engineColumns(con, entry, root, ref, snapshot, tokens);
        const rows = selectRows(select, scanned.chunks, typed.columns, options.resultRowsMax);
        if (rows === 'too-many') throw limitError(options);
        if (rows) {
          release();
          const explain = { path: 'engine-select', scans: selectScans, parseMs: t1 - t0, scanMs: t2 - t1, duckdbMs: performance.now() - t2, kernels: describeKernels() };
          return rowsCursor(typed.columns, typed.types, rows, explain);
        }
      }
      const last = exact ? planLastPoint(shape, snapshot.schema) : null;
      const lastIn = !last && options.engine && options.pushdown ? planLastPointIn(shape, snapshot.schema) : null;
      const lastBy = last?.column ?? (lastIn?.refs.includes(ref) && predicates.length === 0 ? lastIn.column : undefined);
      const { chunks, stats } = await source.scan(snapshot, columns, predicates, lastBy ? { lastBy } : {});
      scans.push(stats);
      const token = registerScan({ dataset: name, version: snapshot.version, columns: snapshot.schema.columns, chunks });
      tokens.set(token, name);
      bindings.push({ ref, token, columns: snapshot.schema.columns });
    }
    const bound = fillTemplate(await boundTemplate(con, entry, root, bindings), bindings.map((b) => b.token));
    const t2 = performance.now();
    const prepared = await prepare(con, bound, tokens);
    let result;
    try {
      result = await prepared.stream();
    } catch (e) {
      prepared.destroySync();
      throw duckError(e, tokens);
    }
    const types = result.columnTypes();
    const columns = result.columnNames().map((name, i) => ({ name, type: types[i]!.toString() }));
    const explain: QueryExplain = { path: 'duckdb-scan', scans, parseMs: t1 - t0, scanMs: t2 - t1, duckdbMs: 0, kernels: describeKernels() };
    let rowCount = 0;
    let done = false;
    return {
      columns, types, explain,
      async next() {
        if (done) return null;
        let chunk;
        try { chunk = await result.fetchChunk(); } catch (e) { throw duckError(e, tokens); }
        explain.duckdbMs = performance.now() - t2;
        if (!chunk || chunk.rowCount === 0) { done = true; return null; }
        rowCount += chunk.rowCount;
        if (rowCount > options.resultRowsMax) throw limitError(options);
        const rows = (chunk.convertRows(JsonDuckDBValueConverter) as JsonValue[][]).map((row) => row.map((v, c) => normalizeJson(v, types[c]!)));
        return { rows, values: () => chunk.getColumns() };
      },
      close() { done = true; prepared.destroySync(); release(); },
    };
  } catch (e) {
    release();
    if (isStrataError(e)) throw e;
    throw duckError(e, tokens);
  }
}

/**
 * Top-N rows by a numeric first key. Any N rows bound the answer: if some
 * chunks hold N rows (passing the WHERE) at or beyond a value, so does the
 * answer. The first key alone is read from the chunks whose statistics put
 * them furthest in the order, their N-th best value becomes one more
 * predicate, and the full scan prunes the other chunks by statistics and
 * reads the other columns only of rows that can be in the answer.
 */
async function topRowsBound(source: ScanSource, snapshot: Snapshot, plan: SelectPlan, predicates: readonly Predicate[], scans: ScanStats[]): Promise<Predicate | null> {
  const first = plan.order[0];
  if (!first || first.nullsFirst || plan.columns.length < 2 || !['int32', 'int64', 'float64', 'timestamp'].includes(first.type)) return null;
  const edge = (ref: ChunkRef): number => {
    const m = ref.columns[first.column];
    const v = first.desc ? m?.max : m?.min;
    const n = v === null || v === undefined ? NaN : Number(v);
    return Number.isNaN(n) ? -Infinity : first.desc ? n : -n;
  };
  const ordered = [...snapshot.chunks.values()].sort((a, b) => edge(b) - edge(a));
  const column = snapshot.schema.columns.filter((c) => c.name === first.column);
  // The furthest chunks with N rows, then (when the WHERE kept fewer) 16 times as many rows once.
  for (const factor of [1, 16]) {
    const picked = new Map<string, ChunkRef>();
    let rows = 0;
    for (const ref of ordered) { if (rows >= plan.limit! * factor) break; picked.set(ref.id, ref); rows += ref.rows; }
    const keyOnly = await source.scan({ ...snapshot, chunks: picked }, column, predicates);
    scans.push(keyOnly.stats);
    const nth = nthFirstKey(plan, keyOnly.chunks);
    if (nth !== null) return { column: first.column, op: first.desc ? 'ge' : 'le', value: nth };
    if (picked.size === snapshot.chunks.size) break;
  }
  return null;
}

/** The query printed with each bound reference replaced by a scan of a placeholder token (cached per text, and per template). */
async function boundTemplate(con: DuckDBConnection, entry: CachedQuery, root: unknown, refs: { ref: TableRef; columns: readonly Column[] }[]): Promise<BoundTemplate> {
  // By which references are bound, and their schemas (each scan subquery lists its columns).
  const indexes = refs.map((r) => shapeIndex(entry, r.ref));
  const key = JSON.stringify(refs.map((r, i) => [indexes[i], r.columns]));
  const hit = entry.bound.get(key);
  if (hit) return hit;
  const print = async (shape: QueryShape, printRoot: unknown): Promise<BoundTemplate> => {
    const placeholders = refs.map(() => placeholderToken());
    const swap = new Map<object, unknown>();
    for (const [i, r] of refs.entries()) {
      const node = shape.tables[indexes[i]!]!.lossless;
      swap.set(node, await scanNode(con, scanFunctionName, node as { [k: string]: unknown }, placeholders[i]!, r.columns));
    }
    return { text: await printSelect(con, replaceNodes(printRoot, swap)), placeholders };
  };
  const shared = entry.shared && await sharedBound(entry.shared, key, (s) => print(s, s.parsed.counterpart.get(s.root as object)));
  const t = shared ?? await print(entry.shape, root);
  entry.bound.set(key, t);
  return t;
}

function shapeIndex(entry: CachedQuery, ref: TableRef): number {
  return entry.shape.tables.indexOf(ref);
}

/**
 * An engine answer's column names and types: DuckDB runs the same query over
 * an empty scan of the dataset's schema once per shape (filters aside) and schema.
 */
async function engineColumns(con: DuckDBConnection, entry: CachedQuery, root: unknown, ref: TableRef, snapshot: Snapshot, tokens: Map<string, string>): Promise<{ columns: ResultColumn[]; types: DuckDBType[] }> {
  const key = engineColumnsKey(entry, snapshot.schema.columns);
  const hit = engineColumnsCache.get(key);
  if (hit) return hit;
  const token = registerScan({ dataset: snapshot.dataset, version: snapshot.version, columns: snapshot.schema.columns, chunks: [] });
  tokens.set(token, snapshot.dataset);
  const template = await boundTemplate(con, entry, root, [{ ref, columns: snapshot.schema.columns }]);
  const empty = await runPrepared(con, fillTemplate(template, [token]), tokens);
  const types = empty.columnTypes();
  const typed = { columns: empty.columnNames().map((n, i) => ({ name: n, type: types[i]!.toString() })), types };
  engineColumnsCache.set(key, typed);
  return typed;
}

function rowsCursor(columns: ResultColumn[], types: DuckDBType[], rows: JsonValue[][], explain: QueryExplain): QueryCursor {
  let sent = false;
  return {
    columns, types, explain,
    next: async () => { if (sent || rows.length === 0) return null; sent = true; return { rows }; },
    close: () => { sent = true; },
  };
}

function duckError(e: unknown, tokens: ReadonlyMap<string, string>): StrataError {
  if (isStrataError(e)) return e;
  const message = (e as Error).message;
  if (/^Out of Memory Error/.test(message)) {
    return new StrataError('STRATA_ERR_LIMIT_EXCEEDED', `the query needs more memory than duckdbMemoryBytesMax allows: ${cleanMessage(message, tokens)}`, { limit: 'duckdbMemoryBytesMax' });
  }
  return new StrataError('STRATA_ERR_SQL_EXECUTION', cleanMessage(message, tokens));
}

/** A single statement only: DuckDB refuses to prepare more than one. */
async function prepare(con: DuckDBConnection, sql: string, tokens: ReadonlyMap<string, string>): Promise<import('@duckdb/node-api').DuckDBPreparedStatement> {
  try { return await con.prepare(sql); } catch (e) { throw duckError(e, tokens); }
}

async function runPrepared(con: DuckDBConnection, sql: string, tokens: ReadonlyMap<string, string>): Promise<import('@duckdb/node-api').DuckDBResultReader> {
  const prepared = await prepare(con, sql, tokens);
  try { return await prepared.runAndReadAll(); } catch (e) { throw duckError(e, tokens); } finally { prepared.destroySync(); }
}

/** Reads a whole answer (at most resultRowsMax rows). */
export async function readAll(cursor: QueryCursor): Promise<QueryResult> {
  const rows: JsonValue[][] = [];
  try {
    for (let b = await cursor.next(); b; b = await cursor.next()) for (const r of b.rows) rows.push(r);
  } finally {
    cursor.close();
  }
  return { columns: cursor.columns, rows, explain: cursor.explain };
}
