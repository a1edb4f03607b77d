/**
 * A join with a derived table that contributes nothing but its join key —
 * `FROM a JOIN (SELECT k FROM ... GROUP BY k HAVING ...) d ON a.x = d.k` —
 * keeps the rows of `a` whose x is among d's keys, once each if d's keys are
 * distinct: it is a semi-join. Strata runs d first (usually an engine
 * aggregate), and when its keys are distinct, not NULL, of an integer or
 * string type and at most semiJoinKeysMax, runs the outer query with
 * `a.x IN (keys)` in place of the join. The scan applies that IN (partition
 * index, chunk statistics) instead of handing DuckDB every row of `a` to hash.
 * Anything else runs as written.
 */
import { LosslessNumber } from 'lossless-json';
import type { DuckDBConnection } from './sandbox.js';
import type { JsonValue, ResultColumn } from './result-types.js';
import type { MutableNode, Node } from './nodes.js';
import { isBaseTable, isColumnRef, isJoin, isSelect } from './nodes.js';
import type { QueryShape } from './parse-tree.js';
import { printSelect, replaceNodes, serializeSql } from './tree.js';

/** Derived-table keys beyond this run the join as written. */
export const semiJoinKeysMax = 10_000;

export interface SemiJoin {
  /** The derived table's query (a lossless SELECT node), and its text once printed. */
  inner: MutableNode;
  innerText?: string;
  /** The outer query (lossless) with the join replaced by its left side. */
  outer: MutableNode;
  /** The outer column compared with the key (lossless), and the outer WHERE (lossless) if any. */
  column: MutableNode;
  where: MutableNode | null;
}

const lower = (s: unknown): string => String(s).toLowerCase();

/** Every COLUMN_REF under `n`, but those under `skip`. */
function columnRefs(n: unknown, skip: object, out: Node[] = []): Node[] {
  if (n === null || typeof n !== 'object' || n === skip) return out;
  if (isColumnRef(n)) out.push(n);
  for (const v of Array.isArray(n) ? n : Object.values(n)) columnRefs(v, skip, out);
  return out;
}

/** The query's semi-join shape, or null. Depends only on the parse, so it is found once per text. */
export function findSemiJoin(shape: QueryShape): SemiJoin | null {
  const root = shape.root;
  if (!isSelect(root) || shape.cteNames.size > 0 || shape.needsAllColumns || shape.tables.some((t) => t.at)) return null;
  const join = root.from_table;
  if (!isJoin(join) || join.join_type !== 'INNER' || join.ref_type !== 'REGULAR' || ((join.using_columns as unknown[] | undefined)?.length ?? 0) > 0) return null;
  const left = join.left;
  const right = join.right as Node;
  if (!isBaseTable(left) || right.type !== 'SUBQUERY' || ((right.column_name_alias as unknown[] | undefined)?.length ?? 0) > 0 || !right.alias) return null;
  const inner = (right.subquery as Node | undefined)?.node as Node | undefined;
  if (!isSelect(inner) || inner.select_list.length !== 1) return null;
  const cond = join.condition as Node | undefined;
  if (cond?.class !== 'COMPARISON' || cond.type !== 'COMPARE_EQUAL' || !isColumnRef(cond.left) || !isColumnRef(cond.right)) return null;
  const d = lower(right.alias);
  const leftNames = new Set([lower(left.table_name), lower(left.alias)].filter((n) => n !== ''));
  const isD = (c: Node & { column_names: readonly string[] }): boolean => c.column_names.length === 2 && lower(c.column_names[0]) === d;
  const isLeft = (c: Node & { column_names: readonly string[] }): boolean => c.column_names.length === 2 && leftNames.has(lower(c.column_names[0]));
  const [outerCol, keyCol] = isD(cond.right) && isLeft(cond.left) ? [cond.left, cond.right] : isD(cond.left) && isLeft(cond.right) ? [cond.right, cond.left] : [null, null];
  if (!outerCol || !keyCol) return null;
  // The derived table's one column must be what the condition names.
  const item = inner.select_list[0] as Node;
  const itemName = lower(item.alias || (isColumnRef(item) ? item.column_names[item.column_names.length - 1] : ''));
  if (itemName !== lower(keyCol.column_names[1])) return null;
  // Nothing else of the query may read the derived table, qualified or (ambiguously) not.
  for (const c of columnRefs(root, join)) {
    const names = (c as Node & { column_names: readonly string[] }).column_names;
    if ((names.length >= 2 && lower(names[0]) === d) || (names.length === 1 && lower(names[0]) === itemName)) return null;
  }
  const lossless = shape.parsed.counterpart;
  const outer = replaceNodes(lossless.get(root as object)!, new Map([[lossless.get(join as object)!, lossless.get(left as object)!]])) as MutableNode;
  return {
    inner: lossless.get(inner as object)!,
    outer,
    column: lossless.get(outerCol as object)!,
    where: root.where_clause ? lossless.get(root.where_clause as object)! : null,
  };
}

export async function innerSql(con: DuckDBConnection, semi: SemiJoin): Promise<string> {
  semi.innerText ??= await printSelect(con, semi.inner);
  return semi.innerText;
}

/** DuckDB's own nodes for `x IN (...)` and its constants, so they follow its version. */
interface Templates { inList: MutableNode; varchar: MutableNode; bigint: MutableNode; and: MutableNode }
let templates: Promise<Templates> | null = null;

function loadTemplates(con: DuckDBConnection): Promise<Templates> {
  templates ??= (async () => {
    const s = await serializeSql(con, "SELECT 1 WHERE true AND x IN ('a', 3000000000)");
    const and = ((s.lossless.statements as MutableNode[])[0]!.node as MutableNode).where_clause as MutableNode;
    const inList = (and.children as MutableNode[])[1]!;
    const [, varchar, bigint] = inList.children as MutableNode[];
    return { inList, varchar: varchar!, bigint: bigint!, and };
  })();
  return templates;
}

const integerTypes = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER']);

/**
 * The outer query's text with `column IN (keys)` for the join, or null when
 * the keys do not allow it (NULLs, repeats, too many, none, another type).
 */
export async function semiJoinSql(con: DuckDBConnection, semi: SemiJoin, column: ResultColumn, rows: readonly JsonValue[][]): Promise<string | null> {
  const varchar = column.type === 'VARCHAR';
  if (!varchar && !integerTypes.has(column.type)) return null;
  if (rows.length === 0 || rows.length > semiJoinKeysMax) return null;
  const seen = new Set<string>();
  for (const [v] of rows) {
    if (v === null || v === undefined || (varchar ? typeof v !== 'string' : typeof v !== 'number' && typeof v !== 'string')) return null;
    const key = String(v);
    if (seen.has(key)) return null;
    seen.add(key);
  }
  const t = await loadTemplates(con);
  const copy = (n: MutableNode): MutableNode => replaceNodes(n, new Map()) as MutableNode;
  const constants = rows.map(([v]) => {
    const c = copy(varchar ? t.varchar : t.bigint);
    (c.value as MutableNode).value = varchar ? v : new LosslessNumber(String(v));
    return c;
  });
  const inList = { ...copy(t.inList), children: [copy(semi.column), ...constants] };
  const where = semi.where ? { ...copy(t.and), children: [copy(semi.where), inList] } : inList;
  return printSelect(con, { ...semi.outer, where_clause: where });
}
