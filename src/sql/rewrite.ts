/**
 * Rewriting dataset references in the SQL text. DuckDB's parse gives each
 * table reference's offset; from there a small scanner walks the reference
 * (qualified name, alias, column aliases, AT clause) so that
 *
 *   weather w AT (VERSION => 3)    becomes    strata_scan('<token>') AS w
 *
 * The text is rewritten rather than the tree re-serialized because
 * json_deserialize_sql cannot round-trip an AT clause with an alias.
 */
import { StrataError } from '../core/errors.js';
import type { TableRef } from './parse-tree.js';

export interface RefExtent {
  start: number;
  end: number;
  /** Alias text as written (quoted or bare), or '' when none. */
  aliasText: string;
  /** Column alias list as written, e.g. `(a, b)`, or ''. */
  columnAliasText: string;
  /** The expression after `=>` in the AT clause, as written. */
  atExpr: string | null;
}

class Scanner {
  constructor(readonly s: string, public i: number) {}

  fail(what: string): never {
    throw new StrataError('STRATA_ERR_SQL_PARSE', `cannot read the table reference at offset ${this.i}: expected ${what}`);
  }

  skipSpace(): void {
    for (;;) {
      const s = this.s;
      while (this.i < s.length && /\s/.test(s[this.i]!)) this.i++;
      if (s.startsWith('--', this.i)) { const e = s.indexOf('\n', this.i); this.i = e < 0 ? s.length : e + 1; continue; }
      if (s.startsWith('/*', this.i)) { const e = s.indexOf('*/', this.i + 2); this.i = e < 0 ? s.length : e + 2; continue; }
      return;
    }
  }

  identifier(): string {
    const s = this.s; const start = this.i;
    if (s[this.i] === '"') {
      this.i++;
      for (;;) {
        const e = s.indexOf('"', this.i);
        if (e < 0) this.fail('a closing quote');
        this.i = e + 1;
        if (s[this.i] === '"') { this.i++; continue; }
        break;
      }
      return s.slice(start, this.i);
    }
    const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(s.slice(this.i));
    if (!m) this.fail('a name');
    this.i += m[0].length;
    return m[0];
  }

  keyword(word: string): boolean {
    const s = this.s;
    if (s.slice(this.i, this.i + word.length).toUpperCase() !== word) return false;
    const next = s[this.i + word.length];
    if (next !== undefined && /[A-Za-z0-9_$]/.test(next)) return false;
    this.i += word.length;
    return true;
  }

  /** Skips a balanced parenthesized group (respecting strings and quoted names); returns its inner text. */
  parens(): string {
    const s = this.s;
    if (s[this.i] !== '(') this.fail('"("');
    const start = this.i + 1;
    let depth = 0;
    while (this.i < s.length) {
      const ch = s[this.i]!;
      if (ch === "'" || ch === '"') {
        const e = closeQuote(s, this.i, ch);
        if (e < 0) this.fail('a closing quote');
        this.i = e + 1;
        continue;
      }
      if (s.startsWith('--', this.i) || s.startsWith('/*', this.i)) { this.skipSpace(); continue; }
      if (ch === '(') depth++;
      if (ch === ')') { depth--; if (depth === 0) { this.i++; return s.slice(start, this.i - 1); } }
      this.i++;
    }
    return this.fail('")"');
  }
}

function closeQuote(s: string, from: number, q: string): number {
  let i = from + 1;
  for (;;) {
    const e = s.indexOf(q, i);
    if (e < 0) return -1;
    if (s[e + 1] === q) { i = e + 2; continue; }
    return e;
  }
}

export function refExtent(sql: string, ref: TableRef): RefExtent {
  const sc = new Scanner(sql, ref.location);
  const parts = 1 + (ref.schema ? 1 : 0) + (ref.catalog ? 1 : 0);
  for (let p = 0; p < parts; p++) {
    if (p > 0) { sc.skipSpace(); if (sql[sc.i] !== '.') sc.fail('"."'); sc.i++; sc.skipSpace(); }
    sc.identifier();
  }
  const end0 = sc.i;
  let aliasText = '';
  let columnAliasText = '';
  if (ref.alias) {
    sc.skipSpace();
    if (sc.keyword('AS')) sc.skipSpace();
    aliasText = sc.identifier();
    if (ref.columnAliases.length > 0) {
      sc.skipSpace();
      const at = sc.i;
      sc.parens();
      columnAliasText = sql.slice(at, sc.i);
    }
  }
  let atExpr: string | null = null;
  if (ref.at) {
    sc.skipSpace();
    if (!sc.keyword('AT')) sc.fail('AT');
    sc.skipSpace();
    const inner = sc.parens();
    const arrow = inner.indexOf('=>');
    if (arrow < 0) sc.fail('"=>" in the AT clause');
    atExpr = inner.slice(arrow + 2).trim();
  }
  return { start: ref.location, end: ref.alias || ref.at ? sc.i : end0, aliasText, columnAliasText, atExpr };
}

/** Applies replacements (non-overlapping) from last to first so earlier offsets stay valid. */
export function applyReplacements(sql: string, reps: { start: number; end: number; text: string }[]): string {
  let out = sql;
  for (const r of [...reps].sort((a, b) => b.start - a.start)) out = out.slice(0, r.start) + r.text + out.slice(r.end);
  return out;
}
