/**
 * A delete's predicate: DuckDB parses it as the WHERE of a SELECT over the
 * dataset, and it must be exactly that (one boolean expression over the
 * dataset's own columns, no subquery, nothing after it), so the text can
 * never reach beyond the rows it names. Evaluation:
 * - a conjunction of comparisons the engine runs itself (the pushdown's
 *   predicates) is evaluated by the engine on the chunks' columns;
 * - anything else, DuckDB evaluates per chunk the statistics leave, as
 *   `coalesce((where), false)` over that chunk's rows in their order.
 * A NULL result keeps the row, as SQL's DELETE does.
 */
import type { ChunkRef } from '../chunk/chunk.js';
import { StrataError, isStrataError } from '../core/errors.js';
import type { Predicate } from '../engine/predicate.js';
import { mayMatchChunk } from '../engine/predicate.js';
import type { Column } from '../schema/schema.js';
import type { Snapshot } from '../versions/snapshot.js';
import type { Node } from './nodes.js';
import { isAndConjunction, isBaseTable, isColumnRef, isSelect, isStar } from './nodes.js';
import { extractPredicates } from './pushdown.js';
import type { ScanSource } from './query.js';
import type { QueryRunner } from './runner.js';

export interface DeletePredicate {
  where: string;
  /** Columns it reads. */
  columns: string[];
  /** The engine's predicates, all of them implied by `where` (so safe for pruning). */
  predicates: Predicate[];
  /** `predicates` are exactly `where`: the engine decides every row. */
  exact: boolean;
}

function refuse(message: string, dataset: string): never {
  throw new StrataError('STRATA_ERR_INVALID_PREDICATE', message, { dataset });
}

/** Parses and checks a delete predicate against the dataset's columns; nothing is read. */
export async function parseDeletePredicate(runner: QueryRunner, source: ScanSource, snapshot: Snapshot, where: string): Promise<DeletePredicate> {
  const dataset = snapshot.dataset;
  if (typeof where !== 'string' || where.trim() === '') refuse('a delete needs a predicate (--where): to delete every row, say so, e.g. --where "true"', dataset);
  let parsed;
  try {
    parsed = await runner.parse(`SELECT * FROM "${dataset}" WHERE ${where}\n`);
  } catch (e) {
    if (isStrataError(e)) refuse(`the predicate does not parse: ${e.message}`, dataset);
    throw e;
  }
  const root = parsed.plain as Node;
  const statements = root.statements as Node[] | undefined;
  const node = statements?.length === 1 ? statements[0]!.node as Node : null;
  const plain = node !== null && isSelect(node) && isBaseTable(node.from_table) && (node.select_list as unknown[]).length === 1 && isStar((node.select_list as unknown[])[0])
    && (node.modifiers as unknown[]).length === 0 && (node.group_expressions as unknown[]).length === 0 && node.having === null && node.qualify === null && node.sample === null
    && ((node.cte_map as { map: unknown[] }).map.length === 0) && node.where_clause !== null;
  if (!plain) refuse('the predicate must be one boolean expression, with nothing after it (no GROUP BY, ORDER BY, LIMIT, UNION or second statement)', dataset);
  const names = new Set(snapshot.schema.columns.map((c) => c.name));
  const used = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) { for (const c of n) walk(c); return; }
    if (n === null || typeof n !== 'object') return;
    const o = n as Node;
    if (o.class === 'SUBQUERY' || o.type === 'SELECT_NODE') refuse('a delete predicate cannot hold a subquery: list the values, e.g. id IN (1, 2, 3)', dataset);
    if (isColumnRef(o)) {
      const parts = o.column_names.map((p) => p.toLowerCase());
      const name = parts.length === 1 ? parts[0]! : parts.length === 2 && parts[0] === dataset ? parts[1]! : null;
      if (name === null || !names.has(name)) refuse(`the predicate names a column ${o.column_names.join('.')} that ${dataset} does not have (its columns: ${[...names].join(', ')})`, dataset);
      used.add(name);
    }
    for (const v of Object.values(o)) if (v !== null && typeof v === 'object') walk(v);
  };
  const whereNode = node!.where_clause as Node;
  walk(whereNode);
  // Binding and types are DuckDB's to check: run it over no rows.
  const empty: Snapshot = { ...snapshot, chunks: new Map(), rows: 0 };
  try {
    await runner.run(onlyChunks(source, empty), `SELECT count(*) FROM "${dataset}" WHERE (${where}\n)`);
  } catch (e) {
    if (isStrataError(e) && e.code.startsWith('STRATA_ERR_SQL')) refuse(`DuckDB refused the predicate: ${e.message}`, dataset);
    throw e;
  }
  const predicates = extractPredicates({ where: whereNode, sole: true }, [dataset], snapshot.schema.columns);
  let conjuncts = 0;
  const count = (e: Node): void => { if (isAndConjunction(e)) for (const c of e.children) count(c); else conjuncts++; };
  count(whereNode);
  return { where, columns: [...used], predicates, exact: predicates.length === conjuncts };
}

/** `source` with `snapshot` standing for its dataset's head and every version of it. */
function onlyChunks(source: ScanSource, snapshot: Snapshot): ScanSource {
  return {
    ...source,
    head: async (dataset) => (dataset === snapshot.dataset ? snapshot : source.head(dataset)),
    snapshot: async (dataset, version) => (dataset === snapshot.dataset ? snapshot : source.snapshot(dataset, version)),
  };
}

/** DuckDB's verdict on every row of each chunk the statistics leave, one chunk per query so rows keep their order. */
export async function matchWithDuckDB(runner: QueryRunner, source: ScanSource, snapshot: Snapshot, p: DeletePredicate): Promise<Map<string, Uint8Array>> {
  const typeOf = new Map(snapshot.schema.columns.map((c: Column) => [c.name, c.type]));
  const out = new Map<string, Uint8Array>();
  const candidates: ChunkRef[] = [...snapshot.chunks.values()].filter((ref) => p.predicates.every((q) => mayMatchChunk(q, ref, typeOf.get(q.column)!)));
  for (const ref of candidates) {
    const one: Snapshot = { ...snapshot, chunks: new Map([[ref.id, ref]]), rows: ref.rows };
    let result;
    try {
      result = await runner.run(onlyChunks(source, one), `SELECT coalesce((${p.where}\n), false) AS hit FROM "${snapshot.dataset}"`, { engine: false });
    } catch (e) {
      // A value the predicate cannot take (a cast that fails on a row): the predicate's fault, and nothing was written.
      if (isStrataError(e) && e.code.startsWith('STRATA_ERR_SQL')) refuse(`DuckDB could not evaluate the predicate: ${e.message}`, snapshot.dataset);
      throw e;
    }
    if (result.rows.length !== ref.rows) throw new StrataError('STRATA_ERR_INTERNAL', `a delete's predicate gave ${result.rows.length} answers for ${ref.rows} rows`);
    const flags = new Uint8Array(ref.rows);
    let any = false;
    result.rows.forEach((r, i) => { if (r[0] === true) { flags[i] = 1; any = true; } });
    if (any) out.set(ref.id, flags);
  }
  return out;
}
