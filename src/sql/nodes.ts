/**
 * Typed views of DuckDB's parse tree (json_serialize_sql), for the node
 * kinds the planners read. The tree is DuckDB's and may carry more fields
 * than listed; only these are relied on. Every view is read-only: the
 * planners never change the tree (tree.ts copies it to rewrite).
 */

/** Any node, before its kind is known. */
export type Node = { readonly [k: string]: unknown };
/** A node being built or rewritten (tree.ts only). */
export type MutableNode = { [k: string]: unknown };

export interface ConstantValue { readonly type: { readonly id: string; readonly type_info: Node | null }; readonly is_null: boolean; readonly value: unknown }

export interface ColumnRefNode extends Node { readonly class: 'COLUMN_REF'; readonly column_names: readonly string[]; readonly alias: string }
export interface ConstantNode extends Node { readonly class: 'CONSTANT'; readonly value: ConstantValue; readonly alias: string }
export interface FunctionNode extends Node {
  readonly class: 'FUNCTION';
  readonly function_name: string;
  readonly children: readonly Node[];
  readonly distinct: boolean;
  readonly filter: Node | null;
  readonly order_bys?: { readonly orders?: readonly OrderTerm[] };
  readonly alias: string;
}
export interface CastNode extends Node { readonly class: 'CAST'; readonly child: Node; readonly cast_type: { readonly id: string }; readonly try_cast: boolean }
export interface ComparisonNode extends Node { readonly class: 'COMPARISON'; readonly type: string; readonly left: Node; readonly right: Node }
export interface ConjunctionNode extends Node { readonly class: 'CONJUNCTION'; readonly type: string; readonly children: readonly Node[] }
export interface BetweenNode extends Node { readonly class: 'BETWEEN'; readonly type: 'COMPARE_BETWEEN'; readonly input: Node; readonly lower: Node; readonly upper: Node }
export interface OperatorNode extends Node { readonly class: 'OPERATOR'; readonly type: string; readonly children: readonly Node[] }
export interface StarNode extends Node { readonly class: 'STAR'; readonly expr: Node | null; readonly columns: boolean }

export interface OrderTerm { readonly type: 'ASCENDING' | 'DESCENDING' | 'ORDER_DEFAULT'; readonly null_order: string; readonly expression: Node }
export type Modifier =
  | { readonly type: 'ORDER_MODIFIER'; readonly orders: readonly OrderTerm[] }
  | { readonly type: 'LIMIT_MODIFIER'; readonly limit: Node | null; readonly offset: Node | null }
  | { readonly type: 'DISTINCT_MODIFIER'; readonly distinct_on_targets: readonly Node[] }
  | { readonly type: 'LIMIT_PERCENT_MODIFIER' };

export interface SelectNode extends Node {
  readonly type: 'SELECT_NODE';
  readonly select_list: readonly Node[];
  readonly from_table: Node | null;
  readonly where_clause: Node | null;
  readonly group_expressions: readonly Node[];
  readonly group_sets: readonly unknown[];
  readonly aggregate_handling: string;
  readonly having: Node | null;
  readonly qualify: Node | null;
  readonly sample: Node | null;
  readonly modifiers: readonly Modifier[];
}
export interface BaseTableNode extends Node { readonly type: 'BASE_TABLE'; readonly table_name: string; readonly alias: string }
export interface JoinNode extends Node { readonly type: 'JOIN'; readonly join_type: string; readonly ref_type: string; readonly left: Node; readonly right: Node }

export const isColumnRef = (n: unknown): n is ColumnRefNode => (n as Node | null)?.class === 'COLUMN_REF' && Array.isArray((n as Node).column_names);
export const isConstant = (n: unknown): n is ConstantNode => (n as Node | null)?.class === 'CONSTANT';
export const isFunction = (n: unknown): n is FunctionNode => (n as Node | null)?.class === 'FUNCTION';
export const isCast = (n: unknown): n is CastNode => (n as Node | null)?.class === 'CAST';
export const isStar = (n: unknown): n is StarNode => (n as Node | null)?.class === 'STAR';
export const isSelect = (n: unknown): n is SelectNode => (n as Node | null)?.type === 'SELECT_NODE';
export const isBaseTable = (n: unknown): n is BaseTableNode => (n as Node | null)?.type === 'BASE_TABLE';
export const isJoin = (n: unknown): n is JoinNode => (n as Node | null)?.type === 'JOIN';
export const isAndConjunction = (n: unknown): n is ConjunctionNode => (n as Node | null)?.class === 'CONJUNCTION' && (n as Node).type === 'CONJUNCTION_AND';

/** A constant's number, when it is a plain numeric constant (e.g. `ORDER BY 2`, `LIMIT 10`). */
export function constantNumber(n: unknown): number | null {
  return isConstant(n) && typeof n.value.value === 'number' ? n.value.value : null;
}

/** The number of AND-ed conjuncts of a WHERE clause (0 for none). */
export function countConjuncts(e: Node | null): number {
  if (!e) return 0;
  if (isAndConjunction(e)) return e.children.reduce((n, c) => n + countConjuncts(c), 0);
  return 1;
}

/** A LIMIT the engine can apply: a constant count, no OFFSET; null otherwise. */
export function plainLimit(m: { readonly limit: Node | null; readonly offset: Node | null }): number | null {
  const l = constantNumber(m.limit);
  return m.offset || l === null || !Number.isSafeInteger(l) || l < 0 ? null : l;
}

/** An ORDER BY term's direction and NULL placement (DuckDB's default: NULLS LAST). */
export function orderOf(o: OrderTerm): { desc: boolean; nullsFirst: boolean } {
  return { desc: o.type === 'DESCENDING', nullsFirst: o.null_order === 'NULLS_FIRST' || o.null_order === 'NULLS FIRST' };
}
