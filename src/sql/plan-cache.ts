/**
 * What a query costs before any data is read (parsing in DuckDB, printing
 * the bound tree, typing an engine answer's columns) depends only on its
 * text and the dataset's schema, so it is kept, per text, in a small LRU.
 * Bound text is kept with placeholder tokens: random per entry, so no
 * user's text can contain them, and each run substitutes its own scans'.
 */
import { randomBytes } from 'node:crypto';
import type { DuckDBType } from '@duckdb/node-api';
import type { SharedParse } from './literal-template.js';
import type { SemiJoin } from './semi-join.js';
import type { QueryShape } from './parse-tree.js';
import type { ResultColumn } from './result-types.js';

export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) { this.map.delete(key); this.map.set(key, v); }
    return v;
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }
}

/** Bound SQL with placeholders where the scans' tokens go. */
export interface BoundTemplate { text: string; placeholders: string[] }

export interface CachedQuery {
  shape: QueryShape;
  /** Parsed from a template shared with texts that differ only in string constants. */
  shared: SharedParse | null;
  /** By which of the shape's references are bound (their indexes) and their schemas. */
  bound: Map<string, BoundTemplate>;
  /** The select node minus its WHERE and text offsets, as engineColumnsKey needs it (made on first use). */
  selectKey?: string;
  /** The query's semi-join shape, false when it has none (found on first use). */
  semiJoin?: SemiJoin | false;
}

export const planCache = new Lru<string, CachedQuery>(256);

/**
 * An engine answer's column names and types depend on the query's shape
 * without its WHERE (constants there change no output) and on the schema:
 * so queries that differ only in their filters share one entry.
 */
export const engineColumnsCache = new Lru<string, { columns: ResultColumn[]; types: DuckDBType[] }>(256);

/** The key of engineColumnsCache: the select node minus its WHERE and text offsets, and the schema's columns. */
export function engineColumnsKey(entry: CachedQuery, schemaColumns: unknown): string {
  entry.selectKey ??= JSON.stringify(entry.shape.root, (k, v) => (k === 'where_clause' || k === 'query_location' ? undefined : v));
  return `${entry.selectKey}\u0000${JSON.stringify(schemaColumns)}`;
}

export function placeholderToken(): string {
  return randomBytes(12).toString('hex');
}

/** The template's text with each placeholder replaced by a real token. */
export function fillTemplate(t: BoundTemplate, tokens: string[]): string {
  let text = t.text;
  t.placeholders.forEach((p, i) => { text = text.split(p).join(tokens[i]!); });
  return text;
}
