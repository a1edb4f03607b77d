/**
 * Recognizing the last-point query: `SELECT DISTINCT ON (<partition key>)
 * ... FROM <dataset> [WHERE ...] ORDER BY <partition key>, <t> DESC`, or
 * `SELECT ... QUALIFY row_number() OVER (PARTITION BY <partition key> ORDER
 * BY <t> DESC ...) = 1` (rank and dense_rank too): the newest row(s) of
 * every partition. The scan then hands DuckDB only the rows
 * that can win (those at their partition's greatest t, ties included), and
 * without a WHERE it skips every chunk whose newest t is older than its
 * partition's. DuckDB still runs the whole query over those rows, so the
 * answer is the one it would give over all of them.
 */
import type { DatasetSchema } from '../schema/schema.js';
import { constantNumber, isColumnRef, isSelect, isStar } from './nodes.js';
import type { Node, OrderTerm } from './nodes.js';
import { columnResolver } from './parse-tree.js';
import type { QueryShape, TableRef } from './parse-tree.js';

export interface LastPointPlan {
  ref: TableRef;
  /** The ordering column whose greatest value wins. */
  column: string;
}

/** The window functions whose value 1 marks a partition's first row(s) by their ORDER BY. */
const firstRowWindows = new Set(['WINDOW_ROW_NUMBER', 'WINDOW_RANK', 'WINDOW_RANK_DENSE']);

export function planLastPoint(shape: QueryShape, schema: DatasetSchema): LastPointPlan | null {
  const root = shape.root;
  if (shape.tables.length !== 1 || !isSelect(root) || shape.cteNames.size > 0) return null;
  const ref = shape.tables[0]!;
  if (root.from_table !== ref.node || root.having || root.sample || (root.group_expressions ?? []).length > 0) return null;
  // Plain columns only: a window function or aggregate in the select list would see the narrowed rows.
  if (!root.select_list.every((e) => isColumnRef(e) || (isStar(e) && !e.expr && !e.columns))) return null;
  const key = schema.partitionKey;
  if (key.length === 0) return null;
  const columnOf = columnResolver(ref);
  const mods = root.modifiers ?? [];
  if (mods.some((m) => m.type !== 'DISTINCT_MODIFIER' && m.type !== 'ORDER_MODIFIER' && m.type !== 'LIMIT_MODIFIER')) return null;
  const distinct = mods.find((m) => m.type === 'DISTINCT_MODIFIER');
  const sameKey = (cols: (string | null)[]): boolean => cols.length === key.length && key.every((k) => cols.includes(k));
  let last: OrderTerm;
  if (distinct && !root.qualify) {
    // DISTINCT ON (<key>) ... ORDER BY <key>, <t> DESC
    const order = mods.find((m) => m.type === 'ORDER_MODIFIER');
    const on = (distinct.distinct_on_targets ?? []).map(columnOf);
    if (!order || !sameKey(on)) return null;
    const orders = order.orders;
    if (orders.length !== key.length + 1) return null;
    for (let i = 0; i < key.length; i++) if (!on.includes(columnOf(orders[i]!.expression))) return null;
    last = orders[key.length]!;
  } else if (!distinct && root.qualify) {
    // QUALIFY row_number() | rank() | dense_rank() OVER (PARTITION BY <key> ORDER BY <t> DESC, ...) = 1 (or <= 1)
    const q = root.qualify as Node;
    const one = (n: unknown): boolean => constantNumber(n) === 1;
    let w: Node | undefined;
    if (q.class === 'COMPARISON' && (q.type === 'COMPARE_EQUAL' || q.type === 'COMPARE_LESSTHANOREQUALTO') && one(q.right)) w = q.left as Node;
    else if (q.class === 'COMPARISON' && (q.type === 'COMPARE_EQUAL' || q.type === 'COMPARE_GREATERTHANOREQUALTO') && one(q.left)) w = q.right as Node;
    if (!w || w.class !== 'WINDOW' || !firstRowWindows.has(String(w.type)) || w.filter_expr) return null;
    const partitions = (w.partitions as Node[] | undefined) ?? [];
    const orders = (w.orders as OrderTerm[] | undefined) ?? [];
    if (!sameKey(partitions.map(columnOf)) || orders.length === 0) return null;
    last = orders[0]!;
  } else return null;
  const column = columnOf(last.expression);
  const type = schema.columns.find((c) => c.name === column)?.type;
  // DESC with DuckDB's default NULLS LAST: a partition's non-NULL greatest value wins.
  if (!column || last.type !== 'DESCENDING' || (last.null_order !== 'ORDER_DEFAULT' && last.null_order !== 'NULLS_LAST')) return null;
  if (type !== 'timestamp' && type !== 'int32') return null;
  return { ref, column };
}

/**
 * `SELECT ... FROM d WHERE (<key>, t) IN (SELECT <key>, max(t) FROM d GROUP
 * BY <key>) ...`: both references to the dataset are narrowed to each
 * partition's newest rows. The subquery's max over those rows is the max over
 * all of them, and the rows that match it are among them.
 */
export function planLastPointIn(shape: QueryShape, schema: DatasetSchema): { refs: TableRef[]; column: string } | null {
  const root = shape.root;
  if (shape.tables.length !== 2 || !isSelect(root) || shape.cteNames.size > 0) return null;
  const [outer, inner] = shape.tables as [TableRef, TableRef];
  const same = (r: TableRef): boolean => r.table.toLowerCase() === outer.table.toLowerCase() && !r.catalog && !r.schema && !r.at && r.columnAliases.length === 0;
  if (!same(outer) || !same(inner)) return null;
  if (root.from_table !== outer.node || root.having || root.qualify || root.sample || (root.group_expressions ?? []).length > 0) return null;
  if (!root.select_list.every((e) => isColumnRef(e) || (isStar(e) && !e.expr && !e.columns))) return null;
  if ((root.modifiers ?? []).some((m) => m.type !== 'ORDER_MODIFIER' && m.type !== 'LIMIT_MODIFIER')) return null;
  const key = schema.partitionKey;
  const w = root.where_clause as Node | null;
  if (key.length === 0 || !w || w.class !== 'SUBQUERY' || w.subquery_type !== 'ANY' || w.comparison_type !== 'COMPARE_EQUAL') return null;
  const row = w.child as Node;
  const sub = (w.subquery as Node | undefined)?.node;
  if (!row || row.class !== 'FUNCTION' || row.function_name !== 'row' || !isSelect(sub)) return null;
  if (sub.from_table !== inner.node || sub.where_clause || sub.having || sub.qualify || sub.sample || (sub.modifiers ?? []).length > 0 || (sub.cte_map as { map?: unknown[] } | undefined)?.map?.length) return null;
  const outerCol = columnResolver(outer);
  const innerCol = columnResolver(inner);
  const tuple = (row.children as Node[]).map(outerCol);
  if (tuple.length !== key.length + 1 || sub.select_list.length !== tuple.length) return null;
  const column = tuple.find((c) => c !== null && !key.includes(c)) ?? null;
  const type = schema.columns.find((c) => c.name === column)?.type;
  if (!column || (type !== 'timestamp' && type !== 'int32') || !key.every((k) => tuple.includes(k))) return null;
  for (const [i, c] of tuple.entries()) {
    const item = sub.select_list[i] as Node;
    if (c === column) {
      const args = item.children as Node[] | undefined;
      if (item.class !== 'FUNCTION' || item.function_name !== 'max' || item.distinct || item.filter || args?.length !== 1 || innerCol(args[0]) !== column) return null;
    } else if (innerCol(item) !== c) return null;
  }
  const groups = sub.group_expressions.map(innerCol);
  if (groups.length !== key.length || !key.every((k) => groups.includes(k))) return null;
  return { refs: [outer, inner], column };
}
