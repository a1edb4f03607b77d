/**
 * The result as a chart, with uPlot (about 50 KB, draws 100,000 points on a
 * canvas in milliseconds): a time series when the result has a time column
 * and numeric columns, bars when it has a string key and a number. The user
 * picks auto, either kind, or none.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Column } from './api.js';

export type ChartMode = 'auto' | 'time' | 'bars' | 'off';

const isTime = (t: string): boolean => /^(TIMESTAMP|DATE)/.test(t);
const isNumber = (t: string): boolean => /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/.test(t);
const isString = (t: string): boolean => t === 'VARCHAR';
const palette = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
const seriesMax = 8;
const barsMax = 200;

/** Seconds since the epoch (uPlot's time unit) of a timestamp as the API sends it. */
function seconds(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v / 1000;
  const s = String(v);
  const iso = s.includes('T') ? s : s.replace(' ', 'T');
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? null : ms / 1000;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Which chart a result can have under a mode, or null (with why). */
export function chartKind(columns: Column[], mode: ChartMode): { kind: 'time' | 'bars' | null; why: string } {
  if (mode === 'off') return { kind: null, why: 'The chart is off.' };
  const time = columns.some((c) => isTime(c.type));
  const numbers = columns.some((c) => isNumber(c.type));
  const strings = columns.some((c) => isString(c.type));
  if ((mode === 'auto' || mode === 'time') && time && numbers) return { kind: 'time', why: '' };
  if ((mode === 'auto' || mode === 'bars') && strings && numbers) return { kind: 'bars', why: '' };
  return { kind: null, why: mode === 'time' ? 'A time series needs a timestamp column and a numeric column.' : mode === 'bars' ? 'Bars need a string column and a numeric column.' : 'No chart: the result has no timestamp or string column beside a numeric one.' };
}

export class Chart {
  readonly el: HTMLElement;
  private plot: uPlot | null = null;

  constructor() {
    this.el = document.createElement('div');
    this.el.className = 'chart';
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(this.el);
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(200, this.el.clientWidth), height: Math.max(180, Math.min(320, Math.round(this.el.clientWidth * 0.4))) };
  }

  clear(): void {
    this.plot?.destroy();
    this.plot = null;
    this.el.replaceChildren();
  }

  /** Draws the result; answers what was drawn (or why nothing was). */
  show(columns: Column[], rows: unknown[][], mode: ChartMode): string {
    this.clear();
    const { kind, why } = chartKind(columns, mode);
    if (!kind) return why;
    const numeric = columns.map((c, i) => ({ c, i })).filter(({ c }) => isNumber(c.type));
    if (kind === 'time') {
      const t = columns.findIndex((c) => isTime(c.type));
      const order = rows.map((r, i) => ({ x: seconds(r[t]), i })).filter((p) => p.x !== null).sort((a, b) => a.x! - b.x!);
      const ys = numeric.slice(0, seriesMax);
      const data: uPlot.AlignedData = [order.map((p) => p.x!), ...ys.map(({ i }) => order.map((p) => num(rows[p.i]![i])))];
      this.plot = new uPlot({
        ...this.size(), scales: { x: { time: true } },
        series: [{ label: columns[t]!.name }, ...ys.map(({ c }, k) => ({ label: c.name, stroke: palette[k % palette.length], width: 1.5, spanGaps: false }))],
      }, data, this.el);
      this.label(`Time series of ${ys.map((y) => y.c.name).join(', ')} over ${columns[t]!.name}, ${order.length} points`);
      return `time series: ${ys.map((y) => y.c.name).join(', ')} over ${columns[t]!.name}`;
    }
    const k = columns.findIndex((c) => isString(c.type));
    const y = numeric[0]!;
    const shown = rows.slice(0, barsMax);
    const labels = shown.map((r) => String(r[k] ?? 'NULL'));
    this.plot = new uPlot({
      ...this.size(),
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, shown.length - 0.5)] }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(0, max)] } },
      axes: [{ values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? labels[s] ?? '' : '')), space: 40 }, {}],
      series: [{ label: columns[k]!.name, value: (_u, v) => (v === null ? '' : labels[v] ?? '') }, { label: y.c.name, stroke: palette[0], fill: `${palette[0]}99`, paths: uPlot.paths.bars!({ size: [0.7, 80] }), points: { show: false } }],
    }, [shown.map((_r, i) => i), shown.map((r) => num(r[y.i]))], this.el);
    this.label(`Bar chart of ${y.c.name} by ${columns[k]!.name}, ${shown.length} bars`);
    return `bars: ${y.c.name} by ${columns[k]!.name}${rows.length > barsMax ? ` (first ${barsMax} rows)` : ''}`;
  }

  /** The canvas is an image to screen readers: it says what it shows. */
  private label(text: string): void {
    const canvas = this.el.querySelector('canvas');
    canvas?.setAttribute('role', 'img');
    canvas?.setAttribute('aria-label', text);
  }
}
