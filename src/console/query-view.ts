/**
 * The query view: editor, run, recent queries, the result as a virtualised
 * table with its column types, a chart, the plan (path, chunks pruned, rows
 * read, times), and the answer as CSV or Arrow.
 */
import type { QueryAnswer } from './api.js';
import { download, query } from './api.js';
import type { ChartMode } from './chart.js';
import { Chart } from './chart.js';
import { clear, formatNumber, h, save, showError } from './dom.js';
import { SqlEditor } from './editor.js';
import { ResultTable, cellText } from './table.js';

const historyKey = 'strata-recent-queries';
const historyMax = 20;

export class QueryView {
  readonly el: HTMLElement;
  readonly editor: SqlEditor;
  private readonly table = new ResultTable();
  private readonly chart = new Chart();
  private readonly status: HTMLElement;
  private readonly errors: HTMLElement;
  private readonly plan: HTMLElement;
  private readonly recent: HTMLSelectElement;
  private readonly chartNote: HTMLElement;
  private readonly resultTools: HTMLElement;
  private mode: ChartMode = 'auto';
  private last: { sql: string; answer: QueryAnswer } | null = null;
  private running = false;

  constructor() {
    const editorBox = h('div', { class: 'editor' });
    this.editor = new SqlEditor(editorBox, () => void this.run(), this.history()[0] ?? '');
    this.status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    this.errors = h('div', { class: 'errors', role: 'alert', hidden: true });
    this.plan = h('section', { class: 'plan', 'aria-label': 'Query plan' });
    this.chartNote = h('p', { class: 'note' });
    this.recent = h('select', { 'aria-label': 'Recent queries', onchange: () => { if (this.recent.value) { this.editor.text = this.recent.value; this.editor.focus(); } this.recent.selectedIndex = 0; } });
    this.fillRecent();
    const modes = h('fieldset', { class: 'chart-mode' }, h('legend', { text: 'Chart' }),
      ...(['auto', 'time', 'bars', 'off'] as const).map((m) => h('label', {}, h('input', { type: 'radio', name: 'chart-mode', value: m, checked: m === this.mode, onchange: () => { this.mode = m; this.drawChart(); } }), ` ${{ auto: 'Auto', time: 'Time series', bars: 'Bars', off: 'Off' }[m]}`)));
    this.resultTools = h('div', { class: 'tools', hidden: true },
      h('button', { type: 'button', text: 'Copy CSV', onclick: () => void this.copy() }),
      h('button', { type: 'button', text: 'Download CSV', onclick: () => void this.download('csv') }),
      h('button', { type: 'button', text: 'Download Arrow', onclick: () => void this.download('arrow') }));
    this.el = h('section', { class: 'view query-view', 'aria-label': 'Query' },
      editorBox,
      h('div', { class: 'toolbar' },
        h('button', { type: 'button', class: 'primary', text: 'Run', title: 'Ctrl+Enter', onclick: () => void this.run() }),
        this.recent, this.status),
      this.errors,
      h('div', { class: 'result' },
        h('div', { class: 'result-main' }, this.resultTools, this.table.el),
        h('aside', { class: 'result-side' }, this.plan)),
      h('section', { class: 'chart-box', 'aria-label': 'Chart' }, modes, this.chartNote, this.chart.el));
  }

  setSchema(schema: Record<string, string[]>): void { this.editor.setSchema(schema); }

  async run(text = this.editor.text): Promise<void> {
    const sql = text.trim();
    if (!sql || this.running) return;
    this.running = true;
    this.status.textContent = 'Running…';
    clear(this.errors);
    try {
      const answer = await query(sql);
      this.last = { sql, answer };
      this.remember(sql);
      this.status.textContent = `${formatNumber(answer.rows.length)} rows in ${answer.ms.toFixed(0)} ms`;
      this.table.show(answer.columns, answer.rows);
      this.resultTools.hidden = false;
      this.showPlan(answer);
      this.drawChart();
    } catch (e) {
      this.status.textContent = 'Failed';
      showError(this.errors, e);
    } finally {
      this.running = false;
    }
  }

  private drawChart(): void {
    if (!this.last) return;
    this.chartNote.textContent = this.chart.show(this.last.answer.columns, this.last.answer.rows, this.mode);
  }

  private showPlan(a: QueryAnswer): void {
    const e = a.explain;
    if (!e) { this.plan.replaceChildren(); return; }
    const dl = (pairs: [string, string][]): HTMLElement => h('dl', {}, ...pairs.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
    this.plan.replaceChildren(h('h2', { text: 'Plan' }),
      dl([['path', e.path], ['total', `${a.ms.toFixed(1)} ms`], ['parse', `${e.parseMs.toFixed(1)} ms`], ['scan', `${e.scanMs.toFixed(1)} ms`], ['DuckDB', `${e.duckdbMs.toFixed(1)} ms`], ['kernels', e.kernels]]),
      ...e.scans.map((s) => h('div', { class: 'scan' }, h('h3', { text: `${s.dataset} @ version ${s.version}` }),
        dl([['chunks', formatNumber(s.chunks)], ['pruned', `${formatNumber(s.prunedByPartition + s.prunedByStats)} (partition ${formatNumber(s.prunedByPartition)}, statistics ${formatNumber(s.prunedByStats)})`],
          ['chunks read', formatNumber(s.chunksRead)], ['rows read', formatNumber(s.rowsRead)], ['rows selected', formatNumber(s.rowsSelected)], ...(s.predicates.length ? [['filters', s.predicates.join(' AND ')] as [string, string]] : [])]))));
  }

  private csv(): string {
    const a = this.last!.answer;
    const field = (v: unknown): string => { const t = v === null ? '' : cellText(v); return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t; };
    return [a.columns.map((c) => field(c.name)).join(','), ...a.rows.map((r) => r.map(field).join(','))].join('\n') + '\n';
  }

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.csv());
      this.status.textContent = `Copied ${formatNumber(this.last!.answer.rows.length)} rows as CSV`;
    } catch (e) { showError(this.errors, e); }
  }

  private async download(format: 'csv' | 'arrow'): Promise<void> {
    if (!this.last) return;
    try {
      save(await download(this.last.sql, format), `result.${format}`);
    } catch (e) { showError(this.errors, e); }
  }

  private remember(sql: string): void {
    const list = [sql, ...this.history().filter((q) => q !== sql)].slice(0, historyMax);
    localStorage.setItem(historyKey, JSON.stringify(list));
    this.fillRecent();
  }

  private history(): string[] {
    try { return JSON.parse(localStorage.getItem(historyKey) ?? '[]') as string[]; } catch { return []; }
  }

  private fillRecent(): void {
    this.recent.replaceChildren(h('option', { value: '', text: 'Recent queries…' }), ...this.history().map((q) => h('option', { value: q, text: q.length > 80 ? `${q.slice(0, 80)}…` : q })));
  }
}
