/**
 * Recognizing the queries the engine can aggregate itself: one dataset, no
 * joins or CTEs, a WHERE made only of pushable conjuncts, a select list of
 * group keys (columns, date_trunc or time_bucket of a timestamp column) and
 * count/sum/avg/min/max over columns, GROUP BY those keys (or ALL), and
 * ORDER BY / LIMIT over the output. Anything else returns null and runs in
 * DuckDB as before.
 */
import type { AggFn, AggSpec, KeySpec, TruncUnit } from '../engine/aggregate.js';
import { fixedUnitMs } from '../engine/aggregate.js';
import type { DatasetSchema } from '../schema/schema.js';
import type { Predicate } from '../engine/predicate.js';
import type { FunctionNode, Node } from './nodes.js';
import { extractPredicates } from './pushdown.js';
import { constantNumber, countConjuncts, isAndConjunction, isCast, isColumnRef, isConstant, isFunction, isSelect, isStar, orderOf, plainLimit } from './nodes.js';
import { columnResolver } from './parse-tree.js';
import type { QueryShape, TableRef } from './parse-tree.js';

export type Output = { kind: 'key'; index: number } | { kind: 'agg'; index: number };

export interface AggregatePlan {
  ref: TableRef;
  keys: KeySpec[];
  aggs: AggSpec[];
  outputs: Output[];
  order: { output: number; desc: boolean; nullsFirst: boolean }[];
  limit: number | null;
  /** Columns the engine reads. */
  columns: string[];
  /** The WHERE's conjunct count, which must all be pushed for the plan to hold. */
  conjuncts: number;
  /** HAVING, as AND-ed comparisons of an aggregate (by index in aggs; possibly one the select list lacks) with a number. */
  having: HavingTerm[];
}

export interface HavingTerm { agg: number; op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'; value: number }

const compareOps: Record<string, HavingTerm['op']> = {
  COMPARE_EQUAL: 'eq', COMPARE_NOTEQUAL: 'ne', COMPARE_LESSTHAN: 'lt', COMPARE_GREATERTHAN: 'gt',
  COMPARE_LESSTHANOREQUALTO: 'le', COMPARE_GREATERTHANOREQUALTO: 'ge',
};
const flippedOps: Record<HavingTerm['op'], HavingTerm['op']> = { eq: 'eq', ne: 'ne', lt: 'gt', gt: 'lt', le: 'ge', ge: 'le' };
const integerTypes = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'HUGEINT']);

/** A numeric constant's exact value as a double, or null (wide decimals, huge integers, anything else). */
function numberConstant(e: Node): number | null {
  if (!isConstant(e) || e.value.is_null || typeof e.value.value !== 'number') return null;
  const id = e.value.type.id; const raw = e.value.value;
  if (integerTypes.has(id)) return Number.isSafeInteger(raw) ? raw : null;
  if (id === 'DOUBLE' || id === 'FLOAT') return raw;
  if (id === 'DECIMAL') {
    const info = e.value.type.type_info;
    const width = Number(info?.width ?? 18); const scale = Number(info?.scale ?? 0);
    return width <= 15 && Number.isSafeInteger(raw) ? raw / 10 ** scale : null;
  }
  return null;
}

const truncUnits: TruncUnit[] = ['second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'];
/** time_bucket's default origin for sub-month widths: Monday 2000-01-03. */
const bucketOriginMs = Date.UTC(2000, 0, 3);

/** Structure of an expression without aliases and text offsets, to compare GROUP BY with the select list. */
function canonical(e: unknown): string {
  return JSON.stringify(e, (k, v) => (k === 'alias' || k === 'query_location' ? undefined : v));
}

function intervalMs(text: string): number | null {
  const m = /^\s*(\d+)\s*(second|minute|hour|day|week)s?\s*$/i.exec(text);
  return m ? Number(m[1]) * fixedUnitMs[m[2]!.toLowerCase() as TruncUnit]! : null;
}

/** DuckDB's names for arg_min/arg_max. */
const argFunctions: Record<string, 'arg_min' | 'arg_max'> = { arg_max: 'arg_max', argmax: 'arg_max', max_by: 'arg_max', arg_min: 'arg_min', argmin: 'arg_min', min_by: 'arg_min' };

export function planAggregate(shape: QueryShape, schema: DatasetSchema): AggregatePlan | null {
  const root = shape.root;
  if (shape.tables.length !== 1 || !isSelect(root) || shape.cteNames.size > 0) return null;
  const ref = shape.tables[0]!;
  if (root.from_table !== ref.node || root.qualify || root.sample) return null;
  if (root.group_sets && root.group_sets.length > 1) return null;
  const typeOf = new Map(schema.columns.map((c) => [c.name, c.type]));
  const columnOf = columnResolver(ref, new Set(typeOf.keys()));

  /** `col // c` or `col // c * c` over an integer column, c a positive INTEGER constant (the result stays within the column's type). */
  const intDivOf = (e: FunctionNode): KeySpec | null => {
    const divOf = (f: unknown): { column: string; divisor: number } | null => {
      if (!isFunction(f) || f.function_name !== '//' || f.children.length !== 2) return null;
      const col = columnOf(f.children[0]);
      const d = f.children[1];
      const type = col ? typeOf.get(col) : undefined;
      if (!col || (type !== 'int32' && type !== 'int64') || !isConstant(d) || d.value.type.id !== 'INTEGER') return null;
      const divisor = constantNumber(d);
      return divisor !== null && Number.isSafeInteger(divisor) && divisor > 0 ? { column: col, divisor } : null;
    };
    const plain = divOf(e);
    if (plain) return { kind: 'intdiv', ...plain, multiply: false };
    const inner = e.function_name === '*' ? divOf(e.children[0]) : null;
    return inner && constantNumber(e.children[1]) === inner.divisor && isConstant(e.children[1]) && e.children[1].value.type.id === 'INTEGER'
      ? { kind: 'intdiv', ...inner, multiply: true } : null;
  };

  const keyOf = (e: Node): KeySpec | null => {
    const col = columnOf(e);
    if (col) {
      // Double keys stay with DuckDB (its grouping of -0 and NaN is its own).
      const type = typeOf.get(col)!;
      return type === 'float64' ? null : { kind: 'column', column: col, type };
    }
    if (!isFunction(e) || e.distinct || e.filter) return null;
    const args = e.children;
    if (args.length !== 2) return null;
    const div = intDivOf(e);
    if (div) return div;
    const tcol = columnOf(args[1]);
    if (!tcol || typeOf.get(tcol) !== 'timestamp') return null;
    const a0 = args[0]!;
    if (e.function_name === 'date_trunc' && isConstant(a0)) {
      const unit = String(a0.value.value).toLowerCase() as TruncUnit;
      return truncUnits.includes(unit) ? { kind: 'trunc', column: tcol, unit } : null;
    }
    if (e.function_name === 'time_bucket' && isCast(a0) && a0.cast_type.id === 'INTERVAL' && isConstant(a0.child)) {
      const width = intervalMs(String(a0.child.value.value));
      return width ? { kind: 'bucket', column: tcol, widthMs: width, originMs: bucketOriginMs } : null;
    }
    return null;
  };

  /** FILTER (WHERE ...) as predicates, when every conjunct is one the scan's filters apply exactly. */
  const filterOf = (f: Node | null): Predicate[] | null | undefined => {
    if (!f) return undefined;
    const predicates = extractPredicates({ where: f, sole: true }, [ref.alias || ref.table], schema.columns);
    return predicates.length === countConjuncts(f) ? predicates : null;
  };
  const aggOf = (e: Node): AggSpec | null => {
    if (!isFunction(e) || e.order_bys?.orders?.length) return null;
    const filter = filterOf(e.filter);
    if (filter === null) return null;
    const spec = e.distinct ? distinctOf(e) : aggSpecOf(e);
    return spec && filter ? { ...spec, filter } : spec;
  };
  /** count(DISTINCT column), for any type but double (DuckDB's equality of -0 and NaN is its own). */
  const distinctOf = (e: FunctionNode): AggSpec | null => {
    const col = e.function_name === 'count' && e.children.length === 1 ? columnOf(e.children[0]) : null;
    const type = col ? typeOf.get(col)! : null;
    return col && type && type !== 'float64' ? { fn: 'count_distinct', column: col, type } : null;
  };
  const aggSpecOf = (e: FunctionNode): AggSpec | null => {
    const fn = e.function_name as AggFn;
    const args = e.children;
    if (fn === 'count_star' && args.length === 0) return { fn, column: null, type: null };
    const arg = argFunctions[e.function_name];
    if (arg) {
      // arg_max(value, by): any column's value at the row with the greatest (least) number in `by`.
      const col = args.length === 2 ? columnOf(args[0]) : null;
      const by = args.length === 2 ? columnOf(args[1]) : null;
      const byType = by ? typeOf.get(by)! : null;
      return col && by && byType && byType !== 'string' && byType !== 'bool' ? { fn: arg, column: col, type: typeOf.get(col)!, by } : null;
    }
    if (!['count', 'sum', 'avg', 'min', 'max'].includes(fn) || args.length !== 1) return null;
    const col = columnOf(args[0]);
    if (!col) return null;
    const type = typeOf.get(col)!;
    if (fn === 'count') return { fn, column: col, type };
    if (fn === 'sum' || fn === 'avg') return type === 'int32' || type === 'int64' || type === 'float64' ? { fn, column: col, type } : null;
    return type === 'int32' || type === 'int64' || type === 'float64' || type === 'timestamp' ? { fn, column: col, type } : null;
  };

  const keys: KeySpec[] = []; const keyExprs: string[] = []; const aggs: AggSpec[] = []; const outputs: Output[] = [];
  const select = root.select_list;
  const aliasOf = (item: Node): string => String(item.alias ?? '').toLowerCase();
  for (const item of select) {
    const agg = aggOf(item);
    if (agg) { outputs.push({ kind: 'agg', index: aggs.length }); aggs.push(agg); continue; }
    const key = keyOf(item);
    if (!key) return null;
    outputs.push({ kind: 'key', index: keys.length });
    keys.push(key);
    keyExprs.push(canonical(item));
  }
  // HAVING: AND-ed comparisons of an aggregate with a number; an aggregate the select list lacks is computed too.
  const having: HavingTerm[] = [];
  if (root.having) {
    const terms: Node[] = [];
    const flatten = (e: Node): void => { if (isAndConjunction(e)) e.children.forEach(flatten); else terms.push(e); };
    flatten(root.having);
    for (const t of terms) {
      const op = t.class === 'COMPARISON' ? compareOps[String(t.type)] : undefined;
      if (!op) return null;
      let aggNode = t.left as Node; let value = numberConstant(t.right as Node); let o = op;
      if (value === null) { aggNode = t.right as Node; value = numberConstant(t.left as Node); o = flippedOps[op]; }
      if (value === null || Number.isNaN(value)) return null;
      const spec = aggOf(aggNode);
      if (!spec || spec.fn === 'arg_min' || spec.fn === 'arg_max') return null;
      const shown = select.findIndex((item, i) => outputs[i]!.kind === 'agg' && canonical(item) === canonical(aggNode));
      let index: number;
      if (shown >= 0) index = outputs[shown]!.index;
      else { index = aggs.length; aggs.push(spec); }
      having.push({ agg: index, op: o, value });
    }
  }
  if (aggs.length === 0 || keys.length > 3) return null;
  // GROUP BY must be exactly the key items (or ALL).
  const groups = root.group_expressions ?? [];
  if (root.aggregate_handling === 'FORCE_AGGREGATES') {
    if (groups.length > 0) return null;
  } else {
    if (groups.length === 0 && keys.length > 0) return null;
    const covered = new Set<number>();
    for (const g of groups) {
      let k = -1;
      const position = constantNumber(g);
      if (position !== null) {
        const o = outputs[position - 1];
        if (o?.kind === 'key') k = o.index;
      } else if (isColumnRef(g) && g.column_names.length === 1 && !typeOf.has(g.column_names[0]!.toLowerCase())) {
        // A name that is no column of the dataset: DuckDB binds it to a select item's alias.
        const o = outputs[select.findIndex((item) => aliasOf(item) === g.column_names[0]!.toLowerCase())];
        if (o?.kind === 'key') k = o.index;
      } else k = keyExprs.indexOf(canonical(g));
      if (k < 0) return null;
      covered.add(k);
    }
    if (covered.size !== keys.length) return null;
  }
  let limit: number | null = null;
  const order: AggregatePlan['order'] = [];
  for (const m of root.modifiers ?? []) {
    if (m.type === 'LIMIT_MODIFIER') {
      limit = plainLimit(m);
      if (limit === null) return null;
    } else if (m.type === 'ORDER_MODIFIER') {
      for (const o of m.orders) {
        const { desc, nullsFirst } = orderOf(o);
        const e = o.expression;
        if (isStar(e) && e.columns === true && !e.expr) { outputs.forEach((_, i) => order.push({ output: i, desc, nullsFirst })); continue; }
        let out = -1;
        const position = constantNumber(e);
        if (position !== null) out = position - 1;
        else if (isColumnRef(e) && e.column_names.length === 1) {
          const name = e.column_names[0]!.toLowerCase();
          out = select.findIndex((item) => aliasOf(item) === name);
          if (out < 0) out = select.findIndex((item) => aliasOf(item) === '' && columnOf(item) === name);
        } else out = select.findIndex((item) => canonical(item) === canonical(e));
        if (out < 0 || out >= outputs.length) return null;
        order.push({ output: out, desc, nullsFirst });
      }
    } else return null;
  }
  const columns = [...new Set([...keys.map((k) => k.column), ...aggs.flatMap((a) => [...(a.column ? [a.column] : []), ...(a.by ? [a.by] : []), ...(a.filter ?? []).map((p) => p.column)])])];
  return { ref, keys, aggs, outputs, order, limit, columns, conjuncts: countConjuncts(root.where_clause ?? null), having };
}
