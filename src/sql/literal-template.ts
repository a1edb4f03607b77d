/**
 * Queries that differ only in their string constants (a dashboard's time
 * range, a host name) share one DuckDB parse. The text is cut at its string
 * literals; the first query of a shape is parsed with a unique sentinel in
 * each literal, and the serialized tree is kept when every sentinel comes
 * back exactly once, as the value of a VARCHAR constant. Later queries of the
 * shape put their own values where the sentinels were, without DuckDB.
 *
 * Anything the cut cannot read with certainty (escape-string prefixes,
 * dollar quoting or parameters, block comments, non-ASCII or control
 * characters in a literal) is parsed by DuckDB as before; so is every shape
 * whose sentinels DuckDB did not keep as plain constants (adjacent literals
 * it joins, a string used as a file name or alias, a parse error).
 */
import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from './sandbox.js';
import { parseQuery, shapeOf } from './parse-tree.js';
import type { QueryShape } from './parse-tree.js';
import { Lru } from './plan-cache.js';
import type { BoundTemplate } from './plan-cache.js';
import { parsedFromJson, serializedJson } from './tree.js';

/** A query cut at its string literals: text = parts[0] 'literals[0]' parts[1] ... */
export interface LiteralCut { parts: string[]; literals: string[] }

const printableAscii = /^[\x20-\x7e]*$/;

/** Cuts the text at its string literals, or null when it has none or cannot be cut with certainty. */
export function cutLiterals(sql: string): LiteralCut | null {
  const parts: string[] = [];
  const literals: string[] = [];
  let from = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'") {
      // E'..', X'..', B'..', U&'..' read their contents differently.
      if (i > 0 && /[A-Za-z0-9_&]/.test(sql[i - 1]!)) return null;
      let value = '';
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf("'", j);
        if (k < 0) return null;
        value += sql.slice(j, k);
        if (sql[k + 1] === "'") { value += "'"; j = k + 2; continue; }
        j = k + 1;
        break;
      }
      if (!printableAscii.test(value)) return null;
      parts.push(sql.slice(from, i));
      literals.push(value);
      from = i = j;
    } else if (c === '"') {
      const k = sql.indexOf('"', i + 1);
      if (k < 0) return null;
      i = k + 1; // a doubled "" is two quoted runs side by side: the same scan reads it
    } else if (c === '-' && sql[i + 1] === '-') {
      const k = sql.indexOf('\n', i);
      i = k < 0 ? sql.length : k + 1;
    } else if ((c === '/' && sql[i + 1] === '*') || c === '$' || c === '\u0000') {
      return null;
    } else i++;
  }
  if (literals.length === 0) return null;
  parts.push(sql.slice(from));
  return { parts, literals };
}

/** A shape's serialized tree with sentinels where its literals go, and its bound texts (by binding). */
interface Template { json: string; sentinels: string[]; bound: Map<string, BoundTemplate | null> }

/** A query parsed from a shared template: its own literal values. */
export interface SharedParse { template: Template; literals: string[] }

/** By the text with its literals emptied; null: this shape is parsed by DuckDB each time. */
const templates = new Lru<string, Template | null>(256);

/** Parses a query, sharing DuckDB's parse among texts that differ only in string constants. */
export async function parseShared(con: DuckDBConnection, sql: string): Promise<{ shape: QueryShape; shared: SharedParse | null }> {
  const cut = cutLiterals(sql);
  if (!cut) return { shape: await parseQuery(con, sql), shared: null };
  const key = cut.parts.join("''");
  let template = templates.get(key);
  if (template === undefined) {
    template = await makeTemplate(con, cut);
    templates.set(key, template);
  }
  if (!template) return { shape: await parseQuery(con, sql), shared: null };
  let json = template.json;
  template.sentinels.forEach((s, i) => { json = json.split(`"value":"${s}"`).join(`"value":${JSON.stringify(cut.literals[i])}`); });
  return { shape: shapeOf(parsedFromJson(json)), shared: { template, literals: cut.literals } };
}

/**
 * The bound text of a shared parse: `print` prints the template's own tree
 * (sentinels in place of literals) once per binding, and each query puts its
 * values, quoted as DuckDB quotes a VARCHAR, where the sentinels were
 * printed. Null when the printed text does not hold each sentinel exactly
 * once (the caller prints its own tree).
 */
export async function sharedBound(shared: SharedParse, key: string, print: (templateShape: QueryShape) => Promise<BoundTemplate>): Promise<BoundTemplate | null> {
  const { template, literals } = shared;
  let printed = template.bound.get(key);
  if (printed === undefined) {
    const t = await print(shapeOf(parsedFromJson(template.json)));
    printed = template.sentinels.every((s) => t.text.split(s).length === 2 && t.text.includes(`'${s}'`)) ? t : null;
    template.bound.set(key, printed);
  }
  if (!printed) return null;
  let text = printed.text;
  template.sentinels.forEach((s, i) => { text = text.split(`'${s}'`).join(`'${literals[i]!.replaceAll("'", "''")}'`); });
  return { text, placeholders: printed.placeholders };
}

async function makeTemplate(con: DuckDBConnection, cut: LiteralCut): Promise<Template | null> {
  const tag = randomBytes(8).toString('hex');
  const sentinels = cut.literals.map((_, i) => `s${tag}n${i}e`);
  let text = cut.parts[0]!;
  sentinels.forEach((s, i) => { text += `'${s}'${cut.parts[i + 1]!}`; });
  const json = await serializedJson(con, text);
  if (!json.startsWith('{"error":false')) return null;
  const kept = sentinels.every((s) => json.split(s).length === 2 && json.includes(`{"type":{"id":"VARCHAR","type_info":null},"is_null":false,"value":"${s}"}`));
  return kept ? { json, sentinels, bound: new Map() } : null;
}
