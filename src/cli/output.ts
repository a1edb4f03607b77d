/** Printing results as an aligned table, CSV or JSON. */
import { renderCsv } from '../core/csv.js';

export const outputFormats = ['table', 'csv', 'json'] as const;
export type OutputFormat = (typeof outputFormats)[number];

export type Cell = unknown;

function text(v: Cell): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function renderTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = rows.map((r) => r.map(text));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === 'number'));
  const line = (r: readonly string[]): string => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n');
}

/** Prints rows in the chosen format; `json` is given separately because each command shapes its own JSON. */
export function printRows(format: OutputFormat, header: readonly string[], rows: readonly (readonly Cell[])[], json: unknown): void {
  switch (format) {
    case 'table': console.log(renderTable(header, rows)); break;
    case 'csv': console.log(renderCsv(header, rows)); break;
    case 'json': console.log(JSON.stringify(json, null, 2)); break;
  }
}
