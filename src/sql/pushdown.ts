/**
 * Finding the WHERE conjuncts a scan can apply itself, from DuckDB's parse
 * tree. A dataset reference gets the conjuncts of the SELECT whose FROM holds
 * it through inner (or cross) joins only, that compare one of its columns
 * with constants. Columns must be qualified by the reference's alias unless
 * it is the only table in the FROM. Anything not understood exactly is
 * simply not pushed: DuckDB applies the whole WHERE anyway.
 */
import type { Constant, Predicate } from '../engine/predicate.js';
import type { Column } from '../schema/schema.js';
import type { Node } from './nodes.js';
import { isAndConjunction, isBaseTable, isCast, isConstant, isJoin, isSelect } from './nodes.js';


export interface RefScope {
  /** The WHERE clause that applies to the reference's rows, or null. */
  where: Node | null;
  /** The reference is the only table of its FROM clause. */
  sole: boolean;
}

/** Maps each BASE_TABLE node object to the WHERE that filters it (by node identity). */
export function collectScopes(root: unknown): Map<object, RefScope> {
  const scopes = new Map<object, RefScope>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) { for (const n of node) walk(n); return; }
    if (node === null || typeof node !== 'object') return;
    const n = node as Node;
    if (isSelect(n) && n.from_table && typeof n.from_table === 'object') {
      const reachable: object[] = [];
      const from = n.from_table;
      const collect = (t: Node): void => {
        if (isBaseTable(t)) reachable.push(t);
        else if (isJoin(t) && t.join_type === 'INNER' && (t.ref_type === 'REGULAR' || t.ref_type === 'CROSS')) {
          collect(t.left);
          collect(t.right);
        }
      };
      collect(from);
      for (const t of reachable) scopes.set(t, { where: n.where_clause ?? null, sole: isBaseTable(from) });
    }
    for (const v of Object.values(n)) if (v !== null && typeof v === 'object') walk(v);
  };
  walk(root);
  return scopes;
}

const compareOps: Record<string, Predicate['op']> = {
  COMPARE_EQUAL: 'eq', COMPARE_NOTEQUAL: 'ne', COMPARE_LESSTHAN: 'lt', COMPARE_GREATERTHAN: 'gt',
  COMPARE_LESSTHANOREQUALTO: 'le', COMPARE_GREATERTHANOREQUALTO: 'ge',
};
const flipped: Record<string, 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'> = { eq: 'eq', ne: 'ne', lt: 'gt', gt: 'lt', le: 'ge', ge: 'le' };

const plainTimestamp = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?$/;

/** A timestamp literal DuckDB and Strata read alike, at whole milliseconds; null otherwise. */
function timestampMs(text: string): number | null {
  const m = plainTimestamp.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = ''] = m;
  if (/[1-9]/.test(frac.slice(3))) return null; // below a millisecond: cannot compare exactly
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), Number((frac + '000').slice(0, 3)));
  if (date.getUTCDate() !== Number(d) || date.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  return date.getTime();
}

/** The constant an expression denotes when compared with a column of `col`'s type, or undefined. */
function constantFor(e: Node, col: Column): Constant | undefined {
  if (isCast(e) && !e.try_cast) {
    const child = e.child;
    const to = e.cast_type?.id;
    if (!isConstant(child)) return undefined;
    const v = child.value;
    if (v.is_null || v.type.id !== 'VARCHAR') return undefined;
    if (col.type === 'timestamp' && (to === 'TIMESTAMP' || to === 'DATE')) return timestampMs(String(v.value)) ?? undefined;
    if (col.type === 'bool' && to === 'BOOLEAN') {
      const t = String(v.value).trim().toLowerCase();
      return ['true', 't', '1', 'yes', 'y', 'on'].includes(t) ? true : ['false', 'f', '0', 'no', 'n', 'off'].includes(t) ? false : undefined;
    }
    return undefined;
  }
  if (!isConstant(e)) return undefined;
  const v = e.value;
  if (v.is_null) return undefined;
  const type = v.type;
  const id = String(type.id);
  const raw = v.value;
  switch (col.type) {
    case 'string': return id === 'VARCHAR' && typeof raw === 'string' ? raw : undefined;
    case 'timestamp': return id === 'VARCHAR' && typeof raw === 'string' ? timestampMs(raw) ?? undefined : undefined;
    case 'bool': return id === 'BOOLEAN' && typeof raw === 'boolean' ? raw : undefined;
    default: {
      if (typeof raw !== 'number') return undefined;
      if (['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'HUGEINT'].includes(id)) return Number.isSafeInteger(raw) ? raw : undefined;
      if (id === 'DOUBLE' || id === 'FLOAT') return col.type === 'float64' ? raw : undefined;
      if (id === 'DECIMAL') {
        const info = type.type_info;
        const scale = Number(info?.scale ?? 0); const width = Number(info?.width ?? 18);
        return width <= 15 && Number.isSafeInteger(raw) ? raw / 10 ** scale : undefined;
      }
      return undefined;
    }
  }
}

export function extractPredicates(scope: RefScope, refNames: string[], columns: readonly Column[]): Predicate[] {
  if (!scope.where) return [];
  const names = refNames.filter((n) => n !== '').map((n) => n.toLowerCase());
  const byName = new Map(columns.map((c) => [c.name, c]));
  const columnOf = (e: unknown): Column | undefined => {
    const n = e as Node;
    if (!n || n.class !== 'COLUMN_REF' || !Array.isArray(n.column_names)) return undefined;
    const parts = (n.column_names as string[]).map((p) => p.toLowerCase());
    if (parts.length === 1 && scope.sole) return byName.get(parts[0]!);
    if (parts.length === 2 && names.includes(parts[0]!)) return byName.get(parts[1]!);
    return undefined;
  };
  const conjuncts: Node[] = [];
  const flatten = (e: Node): void => {
    if (isAndConjunction(e)) for (const c of e.children) flatten(c);
    else conjuncts.push(e);
  };
  flatten(scope.where);
  const out: Predicate[] = [];
  for (const c of conjuncts) {
    const op = compareOps[String(c.type)];
    if (c.class === 'COMPARISON' && op) {
      let col = columnOf(c.left); let other = c.right as Node; let o = op;
      if (!col) { col = columnOf(c.right); other = c.left as Node; o = flipped[op]!; }
      if (!col) continue;
      const value = constantFor(other, col);
      if (value !== undefined) out.push({ column: col.name, op: o as 'eq', value });
    } else if (c.type === 'COMPARE_BETWEEN') {
      const col = columnOf(c.input);
      if (!col) continue;
      const low = constantFor(c.lower as Node, col); const high = constantFor(c.upper as Node, col);
      if (low !== undefined && high !== undefined) out.push({ column: col.name, op: 'between', low, high });
    } else if (c.type === 'COMPARE_IN') {
      const [first, ...rest] = c.children as Node[];
      const col = columnOf(first);
      if (!col || rest.length === 0) continue;
      const values = rest.map((r) => constantFor(r, col));
      if (values.every((v) => v !== undefined)) out.push({ column: col.name, op: 'in', values: values as Constant[] });
    } else if (c.type === 'OPERATOR_IS_NULL' || c.type === 'OPERATOR_IS_NOT_NULL') {
      const col = columnOf((c.children as Node[])[0]);
      if (col) out.push({ column: col.name, op: c.type === 'OPERATOR_IS_NULL' ? 'isnull' : 'notnull' });
    }
  }
  return out;
}
