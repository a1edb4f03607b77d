/**
 * Recognizing the last-point query: `SELECT DISTINCT ON (<partition key>)
 * ... FROM <dataset> [WHERE ...] ORDER BY <partition key>, <t> DESC`, the
 * newest row of every partition. The scan then hands DuckDB only the rows
 * that can win (those at their partition's greatest t, ties included), and
 * without a WHERE it skips every chunk whose newest t is older than its
 * partition's. DuckDB still runs the whole query over those rows, so the
 * answer is the one it would give over all of them.
 */
import type { DatasetSchema } from '../schema/schema.js';
import { isColumnRef, isSelect, isStar } from './nodes.js';
import { columnResolver } from './parse-tree.js';
import type { QueryShape, TableRef } from './parse-tree.js';

export interface LastPointPlan {
  ref: TableRef;
  /** The ordering column whose greatest value wins. */
  column: string;
}

export function planLastPoint(shape: QueryShape, schema: DatasetSchema): LastPointPlan | null {
  const root = shape.root;
  if (shape.tables.length !== 1 || !isSelect(root) || shape.cteNames.size > 0) return null;
  const ref = shape.tables[0]!;
  if (root.from_table !== ref.node || root.having || root.qualify || root.sample || (root.group_expressions ?? []).length > 0) return null;
  // Plain columns only: a window function or aggregate in the select list would see the narrowed rows.
  if (!root.select_list.every((e) => isColumnRef(e) || (isStar(e) && !e.expr && !e.columns))) return null;
  const key = schema.partitionKey;
  if (key.length === 0) return null;
  const columnOf = columnResolver(ref);
  const mods = root.modifiers ?? [];
  const distinct = mods.find((m) => m.type === 'DISTINCT_MODIFIER');
  const order = mods.find((m) => m.type === 'ORDER_MODIFIER');
  if (!distinct || !order || mods.some((m) => m.type !== 'DISTINCT_MODIFIER' && m.type !== 'ORDER_MODIFIER' && m.type !== 'LIMIT_MODIFIER')) return null;
  const on = (distinct.distinct_on_targets ?? []).map(columnOf);
  if (on.length !== key.length || !key.every((k) => on.includes(k))) return null;
  const orders = order.orders;
  if (orders.length !== key.length + 1) return null;
  for (let i = 0; i < key.length; i++) if (!on.includes(columnOf(orders[i]!.expression))) return null;
  const last = orders[key.length]!;
  const column = columnOf(last.expression);
  const type = schema.columns.find((c) => c.name === column)?.type;
  // DESC with DuckDB's default NULLS LAST: a partition's non-NULL greatest value wins.
  if (!column || last.type !== 'DESCENDING' || (last.null_order !== 'ORDER_DEFAULT' && last.null_order !== 'NULLS_LAST')) return null;
  if (type !== 'timestamp' && type !== 'int32') return null;
  return { ref, column };
}
