/**
 * What Strata needs from DuckDB's own parse of a query
 * (`json_serialize_sql`): the table references to bind to datasets (with
 * their AT clauses and text offsets), and the column names the query
 * mentions, so a scan reads only the columns it may need. Offsets in the
 * text are never used: DuckDB may have normalised the text before parsing it
 * (Unicode spaces), so they need not point into what the user sent.
 *
 * json_serialize_sql only serializes SELECT statements, which is also how
 * anything but a single read-only SELECT is refused.
 */
import { StrataError } from '../core/errors.js';
import type { DuckDBConnection } from './sandbox.js';
import { serializeSql } from './tree.js';
import type { ParsedSql } from './tree.js';
import type { Node } from './nodes.js';
import { isColumnRef } from './nodes.js';

export interface TableRef {
  table: string;
  schema: string;
  catalog: string;
  alias: string;
  columnAliases: string[];
  /** The AT clause: its unit and its expression as a lossless node (see tree.ts). */
  at: { unit: string; expr: unknown } | null;
  /** The reference's node in the plain parse tree (identity used to find its WHERE). */
  node: object;
  /** The same node in the lossless tree (identity used to replace it). */
  lossless: object;
}

export interface QueryShape {
  /** The parsed statement. */
  root: unknown;
  /** The parse, plain and lossless. */
  parsed: ParsedSql;
  tables: TableRef[];
  cteNames: Set<string>;
  /** Lower-cased names from every column reference. */
  columnNames: Set<string>;
  /** A `*` or COLUMNS(...) anywhere, or a NATURAL join: every column may be needed. */
  needsAllColumns: boolean;
}


export async function parseQuery(con: DuckDBConnection, sql: string): Promise<QueryShape> {
  return shapeOf(await serializeSql(con, sql));
}

/** The shape of a parse (refusing errors and anything but one SELECT). */
export function shapeOf(parsed: ParsedSql): QueryShape {
  const tree = parsed.plain;
  if (tree.error) {
    const message = String(tree.error_message ?? 'cannot parse the query');
    // DuckDB's serializer refuses every statement but SELECT with its own error type for that.
    if (/^not.implemented$/.test(String(tree.error_type)) || /Only SELECT/i.test(message)) {
      throw new StrataError('STRATA_ERR_SQL_READ_ONLY', 'only a single read-only SELECT statement may be run (no DDL, DML, COPY, ATTACH, SET, PRAGMA, INSTALL, LOAD, CALL or EXPORT)');
    }
    throw new StrataError('STRATA_ERR_SQL_PARSE', message, tree.position !== undefined ? { position: Number(tree.position) } : {});
  }
  const statements = tree.statements as Node[];
  if (!Array.isArray(statements) || statements.length !== 1) {
    throw new StrataError('STRATA_ERR_SQL_READ_ONLY', `exactly one SELECT statement may be run, found ${Array.isArray(statements) ? statements.length : 0}`);
  }
  const shape: QueryShape = { root: (statements[0] as Node).node, parsed, tables: [], cteNames: new Set(), columnNames: new Set(), needsAllColumns: false };
  visit(statements[0], shape);
  return shape;
}

function visit(node: unknown, shape: QueryShape): void {
  if (Array.isArray(node)) { for (const n of node) visit(n, shape); return; }
  if (node === null || typeof node !== 'object') return;
  const n = node as Node;
  if (n.type === 'BASE_TABLE' && typeof n.table_name === 'string') {
    const at = n.at_clause as Node | null | undefined;
    const lossless = shape.parsed.counterpart.get(n)!;
    shape.tables.push({
      table: n.table_name,
      schema: String(n.schema_name ?? ''),
      catalog: String(n.catalog_name ?? ''),
      alias: String(n.alias ?? ''),
      columnAliases: (n.column_name_alias as string[] | undefined) ?? [],
      at: at ? { unit: String(at.unit), expr: (lossless.at_clause as Node).expr } : null,
      node: n,
      lossless,
    });
  }
  if (n.class === 'COLUMN_REF' && Array.isArray(n.column_names)) {
    for (const c of n.column_names as string[]) shape.columnNames.add(c.toLowerCase());
  }
  if (n.class === 'STAR' || n.class === 'POSITIONAL_REFERENCE') shape.needsAllColumns = true;
  if (n.type === 'JOIN' && (n.ref_type === 'NATURAL' || n.join_type === 'NATURAL')) shape.needsAllColumns = true;
  if (Array.isArray(n.using_columns)) for (const c of n.using_columns as string[]) shape.columnNames.add(c.toLowerCase());
  const cte = n.cte_map as Node | undefined;
  if (cte && Array.isArray(cte.map)) for (const e of cte.map as Node[]) shape.cteNames.add(String(e.key).toLowerCase());
  // An AT clause's expression is evaluated on its own (tree.ts), not bound to datasets.
  for (const [k, v] of Object.entries(n)) if (k !== 'at_clause' && v !== null && typeof v === 'object') visit(v, shape);
}

/**
 * The dataset column a column reference names, for a query on one dataset:
 * `c` or `<table or alias>.c`, lower-cased; null for anything else or (with
 * `known`) a name the dataset lacks.
 */
export function columnResolver(ref: TableRef, known?: ReadonlySet<string>): (e: unknown) => string | null {
  const names = new Set([ref.table.toLowerCase(), ref.alias.toLowerCase()].filter((n) => n !== ''));
  return (e) => {
    if (!isColumnRef(e)) return null;
    const parts = e.column_names.map((p) => p.toLowerCase());
    if (parts.length > 2 || (parts.length === 2 && !names.has(parts[0]!))) return null;
    const c = parts[parts.length - 1]!;
    return !known || known.has(c) ? c : null;
  };
}
