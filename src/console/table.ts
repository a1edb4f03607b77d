/**
 * The result grid, virtualised: only the rows in view (plus a margin) are in
 * the DOM, positioned inside a spacer as tall as all rows, so 100,000 rows
 * scroll as lightly as 100. Rows have one fixed height. Screen readers get
 * the grid's real size (aria-rowcount) and each row's index.
 */
import type { Column } from './api.js';
import { h } from './dom.js';

const rowHeight = 28;
const margin = 10;

export function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export class ResultTable {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly spacer: HTMLElement;
  private columns: Column[] = [];
  private rows: unknown[][] = [];
  private drawn = { from: -1, to: -1 };

  constructor() {
    this.spacer = h('div', { class: 'spacer' });
    this.body = h('div', { class: 'grid-body', role: 'rowgroup' }, this.spacer);
    this.el = h('div', { class: 'grid', role: 'table', 'aria-label': 'Query result', tabindex: 0 });
    this.el.addEventListener('scroll', () => this.draw());
    new ResizeObserver(() => this.draw()).observe(this.el);
  }

  show(columns: Column[], rows: unknown[][]): void {
    this.columns = columns;
    this.rows = rows;
    this.drawn = { from: -1, to: -1 };
    const template = columns.map((c) => `minmax(${Math.min(24, Math.max(6, c.name.length + 2))}ch, 1fr)`).join(' ');
    this.el.style.setProperty('--columns', template || '1fr');
    this.el.setAttribute('aria-rowcount', String(rows.length + 1));
    this.el.setAttribute('aria-colcount', String(columns.length));
    const head = h('div', { class: 'grid-row grid-head', role: 'row', 'aria-rowindex': 1 },
      ...columns.map((c) => h('div', { class: 'cell', role: 'columnheader' }, h('span', { class: 'name', text: c.name }), h('span', { class: 'type', text: c.type }))));
    this.spacer.style.height = `${rows.length * rowHeight}px`;
    this.el.replaceChildren(head, this.body);
    this.el.scrollTop = 0;
    this.draw();
  }

  private draw(): void {
    if (this.columns.length === 0) return;
    const top = Math.max(0, this.el.scrollTop - rowHeight);
    const from = Math.max(0, Math.floor(top / rowHeight) - margin);
    const to = Math.min(this.rows.length, Math.ceil((top + this.el.clientHeight) / rowHeight) + margin);
    if (from === this.drawn.from && to === this.drawn.to) return;
    this.drawn = { from, to };
    const out: HTMLElement[] = [];
    for (let i = from; i < to; i++) {
      const row = this.rows[i]!;
      const el = h('div', { class: 'grid-row', role: 'row', 'aria-rowindex': i + 2, 'data-row': i });
      el.style.transform = `translateY(${i * rowHeight}px)`;
      for (let c = 0; c < this.columns.length; c++) {
        const v = row[c];
        el.append(h('div', { class: v === null ? 'cell null' : typeof v === 'number' ? 'cell num' : 'cell', role: 'cell', text: cellText(v) }));
      }
      out.push(el);
    }
    this.spacer.replaceChildren(...out);
  }
}
