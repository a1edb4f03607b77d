/**
 * What Strata needs from DuckDB's own parse of a query
 * (`json_serialize_sql`): the table references to bind to datasets (with
 * their AT clauses and text offsets), and the column names the query
 * mentions, so a scan reads only the columns it may need.
 *
 * json_serialize_sql only serializes SELECT statements, which is also how
 * anything but a single read-only SELECT is refused.
 */
import { StrataError } from '../core/errors.js';
import type { DuckDBConnection } from './sandbox.js';

export interface TableRef {
  table: string;
  schema: string;
  catalog: string;
  alias: string;
  columnAliases: string[];
  at: { unit: string } | null;
  /** Offset of the reference in the SQL text (JavaScript string index). */
  location: number;
  /** The reference's node in the parse tree (identity used to find its WHERE). */
  node: object;
}

export interface QueryShape {
  /** The parsed statement. */
  root: unknown;
  tables: TableRef[];
  cteNames: Set<string>;
  /** Lower-cased names from every column reference. */
  columnNames: Set<string>;
  /** A `*` or COLUMNS(...) anywhere, or a NATURAL join: every column may be needed. */
  needsAllColumns: boolean;
}

type Json = { [k: string]: unknown };

export async function parseQuery(con: DuckDBConnection, sql: string): Promise<QueryShape> {
  const reader = await con.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
  const text = reader.getRows()[0]?.[0];
  const tree = JSON.parse(String(text)) as Json;
  if (tree.error) {
    const message = String(tree.error_message ?? 'cannot parse the query');
    // DuckDB's serializer refuses every statement but SELECT with its own error type for that.
    if (/^not.implemented$/.test(String(tree.error_type)) || /Only SELECT/i.test(message)) {
      throw new StrataError('STRATA_ERR_SQL_READ_ONLY', 'only a single read-only SELECT statement may be run (no DDL, DML, COPY, ATTACH, SET, PRAGMA, INSTALL, LOAD, CALL or EXPORT)');
    }
    throw new StrataError('STRATA_ERR_SQL_PARSE', message, tree.position !== undefined ? { position: Number(tree.position) } : {});
  }
  const statements = tree.statements as Json[];
  if (!Array.isArray(statements) || statements.length !== 1) {
    throw new StrataError('STRATA_ERR_SQL_READ_ONLY', `exactly one SELECT statement may be run, found ${Array.isArray(statements) ? statements.length : 0}`);
  }
  const shape: QueryShape = { root: (statements[0] as Json).node, tables: [], cteNames: new Set(), columnNames: new Set(), needsAllColumns: false };
  const byteToIndex = utf8OffsetMap(sql);
  visit(statements[0], shape, byteToIndex);
  return shape;
}

function visit(node: unknown, shape: QueryShape, toIndex: (byteOffset: number) => number): void {
  if (Array.isArray(node)) { for (const n of node) visit(n, shape, toIndex); return; }
  if (node === null || typeof node !== 'object') return;
  const n = node as Json;
  if (n.type === 'BASE_TABLE' && typeof n.table_name === 'string') {
    const at = n.at_clause as Json | null | undefined;
    shape.tables.push({
      table: n.table_name,
      schema: String(n.schema_name ?? ''),
      catalog: String(n.catalog_name ?? ''),
      alias: String(n.alias ?? ''),
      columnAliases: (n.column_name_alias as string[] | undefined) ?? [],
      at: at ? { unit: String(at.unit) } : null,
      location: toIndex(Number(n.query_location)),
      node: n,
    });
  }
  if (n.class === 'COLUMN_REF' && Array.isArray(n.column_names)) {
    for (const c of n.column_names as string[]) shape.columnNames.add(c.toLowerCase());
  }
  if (n.class === 'STAR' || n.class === 'POSITIONAL_REFERENCE') shape.needsAllColumns = true;
  if (n.type === 'JOIN' && (n.ref_type === 'NATURAL' || n.join_type === 'NATURAL')) shape.needsAllColumns = true;
  if (Array.isArray(n.using_columns)) for (const c of n.using_columns as string[]) shape.columnNames.add(c.toLowerCase());
  const cte = n.cte_map as Json | undefined;
  if (cte && Array.isArray(cte.map)) for (const e of cte.map as Json[]) shape.cteNames.add(String(e.key).toLowerCase());
  for (const v of Object.values(n)) if (v !== null && typeof v === 'object') visit(v, shape, toIndex);
}

/** DuckDB reports offsets in bytes of UTF-8; JavaScript strings index UTF-16 units. */
function utf8OffsetMap(sql: string): (byteOffset: number) => number {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(sql)) return (b) => b;
  const map: number[] = [];
  let bytes = 0;
  for (let i = 0; i < sql.length; i++) {
    map[bytes] = i;
    const cp = sql.codePointAt(i)!;
    const len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    bytes += len;
    if (cp >= 0x10000) i++;
  }
  map[bytes] = sql.length;
  return (b) => map[b] ?? -1;
}
