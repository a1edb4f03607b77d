/**
 * Rewriting a query as a parse tree, never as text. DuckDB parses the user's
 * SQL (json_serialize_sql); Strata replaces each dataset reference's node
 * with a `strata_scan('<token>')` table-function node and has DuckDB print
 * the tree back as SQL (json_deserialize_sql). What runs is therefore text
 * DuckDB generated from one SELECT tree: nothing of the user's text is cut
 * out by offsets, so comments, Unicode spaces and quoting cannot smuggle a
 * statement in, and the AT clause (which json_deserialize_sql cannot print
 * beside an alias) disappears with the node that held it.
 *
 * The tree is kept twice: as plain JSON (numbers as doubles) for analysis,
 * and losslessly (every number as its original digits) for printing back,
 * because a double cannot carry a BIGINT beyond 2^53, a uint64 offset, or
 * the difference between the DOUBLE `10.0` and the integer `10`.
 */
import { LosslessNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { StrataError } from '../core/errors.js';
import type { DuckDBConnection } from './sandbox.js';
import type { MutableNode } from './nodes.js';


/** A query's parse: the plain tree, and each plain node's lossless counterpart. */
export interface ParsedSql {
  /** json_serialize_sql's document, plain. */
  plain: MutableNode;
  /** The same document, lossless. */
  lossless: MutableNode;
  /** Plain object node -> lossless object node (same position in the tree). */
  counterpart: Map<object, MutableNode>;
}

export async function serializeSql(con: DuckDBConnection, sql: string): Promise<ParsedSql> {
  return parsedFromJson(await serializedJson(con, sql));
}

/** json_serialize_sql's document as text. */
export async function serializedJson(con: DuckDBConnection, sql: string): Promise<string> {
  const reader = await con.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
  return String(reader.getRows()[0]?.[0]);
}

export function parsedFromJson(text: string): ParsedSql {
  const plain = JSON.parse(text) as MutableNode;
  const lossless = parseLossless(text) as MutableNode;
  const counterpart = new Map<object, MutableNode>();
  pair(plain, lossless, counterpart);
  return { plain, lossless, counterpart };
}

function pair(p: unknown, l: unknown, out: Map<object, MutableNode>): void {
  if (p === null || typeof p !== 'object') return;
  if (Array.isArray(p)) { p.forEach((v, i) => pair(v, (l as unknown[])[i], out)); return; }
  out.set(p, l as MutableNode);
  for (const [k, v] of Object.entries(p)) pair(v, (l as MutableNode)[k], out);
}

/** A deep copy of a lossless tree with some nodes (by identity) swapped for others. */
export function replaceNodes(node: unknown, swap: ReadonlyMap<object, unknown>): unknown {
  if (node === null || typeof node !== 'object' || node instanceof LosslessNumber) return node;
  const s = swap.get(node);
  if (s !== undefined) return s;
  if (Array.isArray(node)) return node.map((v) => replaceNodes(v, swap));
  const out: MutableNode = {};
  for (const [k, v] of Object.entries(node)) out[k] = replaceNodes(v, swap);
  return out;
}

/** Prints one SELECT statement (a lossless node) as SQL, by DuckDB's own printer. */
export async function printSelect(con: DuckDBConnection, node: unknown): Promise<string> {
  const doc = { error: false, statements: [{ node, named_param_map: [] }] };
  try {
    const r = await con.runAndReadAll('SELECT json_deserialize_sql($1::JSON)', [stringifyLossless(doc)!]);
    return String(r.getRows()[0]?.[0]);
  } catch (e) {
    throw new StrataError('STRATA_ERR_INTERNAL', `cannot print the bound query: ${(e as Error).message}`);
  }
}

/** Lossless node templates read from DuckDB's own serialization, so they follow its version. */
interface Templates {
  /** SELECT CAST(NULL AS BIGINT) — a SELECT_NODE. */
  version: MutableNode;
  /** SELECT epoch_ms(CAST(NULL AS TIMESTAMP)) — a SELECT_NODE. */
  timestamp: MutableNode;
}

let templates: Promise<Templates> | null = null;

function selectNode(p: ParsedSql): MutableNode {
  return (p.lossless.statements as MutableNode[])[0]!.node as MutableNode;
}

function loadTemplates(con: DuckDBConnection): Promise<Templates> {
  templates ??= (async () => ({
    version: selectNode(await serializeSql(con, 'SELECT CAST(NULL AS BIGINT)')),
    timestamp: selectNode(await serializeSql(con, 'SELECT epoch_ms(CAST(NULL AS TIMESTAMP))')),
  }))();
  return templates;
}

/** The NULL constant a template holds, where the expression goes. */
function nullSlot(node: unknown): object | null {
  if (node === null || typeof node !== 'object' || node instanceof LosslessNumber) return null;
  const n = node as MutableNode;
  if (n.class === 'CONSTANT' && (n.value as MutableNode | undefined)?.is_null === true) return n;
  for (const v of Object.values(n)) { const f = nullSlot(v); if (f) return f; }
  return null;
}

/** Subquery templates by column list (see scanNode). */
const scanSubqueries = new Map<string, Promise<MutableNode>>();

/** The table-function node inside a scan subquery (where the token goes). */
function innerScan(node: MutableNode): MutableNode {
  return (((node.subquery as MutableNode).node as MutableNode).from_table as MutableNode);
}

/**
 * The node read in place of a dataset reference: a subquery over
 * `strata_scan('<token>')` selecting every column, strings cast to VARCHAR
 * (the scan may hand them to DuckDB as ENUM codes, which is far cheaper than
 * one call per string), keeping the reference's alias (or its name, so
 * qualified columns still bind), column aliases and TABLESAMPLE. Column
 * names follow the dataset name pattern (lowercase letters, digits, _), so
 * the template's text is the schema's and nothing of the user's.
 */
export async function scanNode(con: DuckDBConnection, scanFunction: string, ref: MutableNode, token: string, columns: readonly { name: string; type: string }[]): Promise<MutableNode> {
  const key = columns.map((c) => `${c.name}:${c.type}`).join(',');
  let template = scanSubqueries.get(key);
  if (!template) {
    if (!columns.every((c) => /^[a-z][a-z0-9_]*$/.test(c.name))) throw new StrataError('STRATA_ERR_INTERNAL', 'a column name outside the name pattern reached the scan');
    const list = columns.map((c) => (c.type === 'string' ? `CAST("${c.name}" AS VARCHAR) AS "${c.name}"` : `"${c.name}"`)).join(', ');
    template = serializeSql(con, `SELECT * FROM (SELECT ${list} FROM ${scanFunction}('')) AS t`).then((p) => selectNode(p).from_table as MutableNode);
    scanSubqueries.set(key, template);
    template.catch(() => scanSubqueries.delete(key));
  }
  const node = replaceNodes(await template, new Map()) as MutableNode;
  const fn = innerScan(node).function as MutableNode;
  const arg = (fn.children as MutableNode[])[0]!;
  arg.value = { ...(arg.value as MutableNode), value: token };
  node.alias = ref.alias || ref.table_name;
  node.column_name_alias = ref.column_name_alias ?? [];
  node.sample = ref.sample ?? null;
  return node;
}

/**
 * The SELECT statement that evaluates an AT clause's expression (a lossless
 * node) to a version number (`VERSION`) or to epoch milliseconds
 * (`TIMESTAMP`): the expression is placed into a template tree, so what runs
 * is a single expression, never text.
 */
export async function atClauseSelect(con: DuckDBConnection, unit: 'VERSION' | 'TIMESTAMP', expr: unknown): Promise<string> {
  const t = await loadTemplates(con);
  const template = unit === 'VERSION' ? t.version : t.timestamp;
  const slot = nullSlot(template);
  if (!slot) throw new StrataError('STRATA_ERR_INTERNAL', 'the AT clause template has no slot');
  return printSelect(con, replaceNodes(template, new Map([[slot, expr]])));
}
