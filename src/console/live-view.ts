/**
 * Live: follows a dataset's change feed. Each new version appears as it is
 * committed (a rollback says which versions it withdrew), and an optional
 * query is run again on every new version, its answer shown below.
 */
import type { VersionInfo } from './api.js';
import { ApiError, events, query } from './api.js';
import { clear, formatNumber, h, showError } from './dom.js';
import { describeVersion } from './history-view.js';
import { ResultTable } from './table.js';

const shownMax = 200;

export class LiveView {
  readonly el: HTMLElement;
  readonly picker: HTMLSelectElement;
  private readonly feed: HTMLOListElement;
  private readonly errors: HTMLElement;
  private readonly status: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly rerun: HTMLTextAreaElement;
  private readonly table = new ResultTable();
  private following: AbortController | null = null;

  constructor() {
    this.picker = h('select', { id: 'live-dataset', onchange: () => { if (this.following) void this.follow(); } });
    this.feed = h('ol', { class: 'feed', 'aria-label': 'New versions, newest first', 'aria-live': 'polite' });
    this.errors = h('div', { class: 'errors', role: 'alert', hidden: true });
    this.status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', text: 'Not following.' });
    this.toggle = h('button', { type: 'button', class: 'primary', text: 'Follow', 'aria-pressed': 'false', onclick: () => (this.following ? this.stop() : void this.follow()) });
    this.rerun = h('textarea', { id: 'live-sql', rows: 2, placeholder: 'SELECT count(*) FROM … (optional)' });
    this.el = h('section', { class: 'view live-view', 'aria-label': 'Live' },
      h('div', { class: 'toolbar' }, h('label', { for: 'live-dataset', text: 'Dataset' }), this.picker, this.toggle),
      h('div', { class: 'field' }, h('label', { for: 'live-sql', text: 'Query to run again on each new version' }), this.rerun),
      this.status, this.errors, this.feed, this.table.el);
  }

  setDatasets(names: string[]): void {
    const current = this.picker.value;
    this.picker.replaceChildren(...names.map((n) => h('option', { value: n, text: n, selected: n === current })));
  }

  stop(): void {
    this.following?.abort();
    this.following = null;
    this.toggle.textContent = 'Follow';
    this.toggle.setAttribute('aria-pressed', 'false');
    this.status.textContent = 'Not following.';
  }

  async follow(): Promise<void> {
    this.stop();
    const dataset = this.picker.value;
    if (!dataset) return;
    const control = new AbortController();
    this.following = control;
    this.toggle.textContent = 'Stop';
    this.toggle.setAttribute('aria-pressed', 'true');
    this.status.textContent = `Following ${dataset}: new versions appear here.`;
    clear(this.errors);
    this.feed.replaceChildren();
    try {
      for await (const e of events(`/datasets/${encodeURIComponent(dataset)}/changes`, control.signal)) {
        if (e.event === 'error') {
          const { status, error } = e.data as { status: number; error: { code: string; message: string } };
          throw new ApiError(error.code, error.message, status);
        }
        if (e.event !== 'version') continue;
        const v = e.data as VersionInfo & { withdrawn: number[] };
        const rows = [v.rowsAdded ? `+${formatNumber(v.rowsAdded)}` : '', v.rowsRemoved ? `−${formatNumber(v.rowsRemoved)}` : ''].filter(Boolean).join(' ') || '±0';
        this.feed.prepend(h('li', { class: `version kind-${v.kind}`, 'data-version': v.version },
          h('strong', { text: `v${v.version}` }), ' ', h('span', { class: 'kind', text: describeVersion(v) }), ' ', h('span', { class: 'rows', text: rows }),
          v.withdrawn.length > 0 ? h('span', { class: 'withdrawn', text: ` withdrew versions ${v.withdrawn.join(', ')}` }) : null,
          v.writer ? h('span', { class: 'meta', text: ` writer ${v.writer} seq ${v.seq}` }) : null));
        while (this.feed.children.length > shownMax) this.feed.lastElementChild!.remove();
        if (this.rerun.value.trim()) {
          const a = await query(this.rerun.value);
          this.table.show(a.columns, a.rows);
        }
      }
    } catch (e) {
      if (control.signal.aborted) return;
      showError(this.errors, e);
      this.stop();
    }
  }
}
