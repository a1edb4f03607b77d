/**
 * Recognizing a plain selection the engine answers without DuckDB: one
 * dataset, a select list of columns (or `*`), a WHERE the scan applies
 * exactly, and at most ORDER BY columns with a LIMIT (top-N rows) or a bare
 * LIMIT. Everything else (expressions, DISTINCT, OFFSET, windows, joins,
 * ORDER BY without LIMIT) is DuckDB's.
 */
import type { ColumnType, DatasetSchema } from '../schema/schema.js';
import { constantNumber, isColumnRef, isSelect, isStar, orderOf, plainLimit } from './nodes.js';
import type { Node } from './nodes.js';
import { columnResolver } from './parse-tree.js';
import type { QueryShape } from './parse-tree.js';

export interface SelectPlan {
  /** The dataset column of each output, in order. */
  outputs: string[];
  order: { column: string; type: ColumnType; desc: boolean; nullsFirst: boolean }[];
  limit: number | null;
  /** Columns to read: outputs and order keys. */
  columns: string[];
}

/** ORDER BY over more rows than this is left to DuckDB's sort. */
export const selectTopRowsMax = 10_000;

export function planSelect(shape: QueryShape, schema: DatasetSchema): SelectPlan | null {
  const root = shape.root;
  if (shape.tables.length !== 1 || !isSelect(root) || shape.cteNames.size > 0) return null;
  const ref = shape.tables[0]!;
  if (root.from_table !== ref.node || root.qualify || root.sample || root.having) return null;
  if (root.group_expressions.length > 0 || (root.group_sets?.length ?? 0) > 0 || root.aggregate_handling !== 'STANDARD_HANDLING') return null;
  if (ref.columnAliases.length > 0) return null;
  const typeOf = new Map(schema.columns.map((c) => [c.name, c.type]));
  const names = new Set([ref.table.toLowerCase(), ref.alias.toLowerCase()].filter((n) => n !== ''));
  const columnOf = columnResolver(ref, new Set(typeOf.keys()));

  const outputs: string[] = [];
  const aliases: string[] = [];
  for (const item of root.select_list) {
    if (isStar(item)) {
      const star = item as Node;
      const plain = !star.expr && star.columns === false && ['exclude_list', 'replace_list', 'qualified_exclude_list', 'rename_list'].every((k) => ((star[k] as unknown[] | undefined) ?? []).length === 0);
      const rel = String(star.relation_name ?? '').toLowerCase();
      if (!plain || (rel !== '' && !names.has(rel))) return null;
      for (const c of schema.columns) { outputs.push(c.name); aliases.push(c.name); }
      continue;
    }
    const col = columnOf(item);
    if (!col) return null;
    outputs.push(col);
    aliases.push(String((item as Node).alias ?? '').toLowerCase() || col);
  }

  let limit: number | null = null;
  const order: SelectPlan['order'] = [];
  for (const m of root.modifiers ?? []) {
    if (m.type === 'LIMIT_MODIFIER') {
      limit = plainLimit(m);
      if (limit === null) return null;
    } else if (m.type === 'ORDER_MODIFIER') {
      for (const o of m.orders) {
        const { desc, nullsFirst } = orderOf(o);
        const e = o.expression;
        const keys: string[] = [];
        if (isStar(e) && (e as Node).columns === true && !(e as Node).expr) keys.push(...outputs);
        else {
          const position = constantNumber(e);
          if (position !== null) {
            if (!Number.isInteger(position) || position < 1 || position > outputs.length) return null;
            keys.push(outputs[position - 1]!);
          } else if (isColumnRef(e)) {
            // An output's name first (as DuckDB binds ORDER BY), then the dataset's columns.
            const name = e.column_names.length === 1 ? e.column_names[0]!.toLowerCase() : null;
            const byAlias = name === null ? [] : aliases.flatMap((a, i) => (a === name ? [outputs[i]!] : []));
            if (new Set(byAlias).size > 1) return null;
            const col = byAlias[0] ?? columnOf(e);
            if (!col) return null;
            keys.push(col);
          } else return null;
        }
        for (const column of keys) order.push({ column, type: typeOf.get(column)!, desc, nullsFirst });
      }
    } else return null;
  }
  if (order.length > 0 && (limit === null || limit > selectTopRowsMax)) return null;
  return { outputs, order, limit, columns: [...new Set([...outputs, ...order.map((o) => o.column)])] };
}
