/**
 * A dataset's history: its versions, newest first (kind, time, rows added
 * and removed, writer and seq, tags). Any version can be queried in one
 * click or its AT clause put in the editor; admins can roll back to a
 * version, revert one, or tag one, each behind a confirm.
 */
import type { Role, VersionInfo } from './api.js';
import { api } from './api.js';
import { askValue, clear, confirmAction, formatNumber, h, showError } from './dom.js';

export interface HistoryHost {
  role: Role;
  query(sql: string): void;
  insertAt(text: string): void;
  changed(): void;
}

export function describeVersion(v: VersionInfo): string {
  switch (v.kind) {
    case 'rollback': return `rolled back to version ${v.rollbackTo}`;
    case 'revert': return `reverted version ${v.revertOf}`;
    case 'delete': return `deleted where ${v.where}`;
    default: return v.kind;
  }
}

export class HistoryView {
  readonly el: HTMLElement;
  readonly picker: HTMLSelectElement;
  private readonly timeline: HTMLOListElement;
  private readonly errors: HTMLElement;
  private readonly status: HTMLElement;

  constructor(private readonly host: HistoryHost) {
    this.picker = h('select', { id: 'history-dataset', onchange: () => void this.load(this.picker.value) });
    this.timeline = h('ol', { class: 'timeline', 'aria-label': 'Versions, newest first' });
    this.errors = h('div', { class: 'errors', role: 'alert', hidden: true });
    this.status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    this.el = h('section', { class: 'view history-view', 'aria-label': 'History' },
      h('div', { class: 'toolbar' }, h('label', { for: 'history-dataset', text: 'Dataset' }), this.picker,
        h('button', { type: 'button', text: 'Refresh', onclick: () => void this.load(this.picker.value) })),
      this.status, this.errors, this.timeline);
  }

  setDatasets(names: string[]): void {
    const current = this.picker.value;
    this.picker.replaceChildren(...names.map((n) => h('option', { value: n, text: n, selected: n === current })));
  }

  async load(dataset: string): Promise<void> {
    clear(this.errors);
    if (!dataset) { this.timeline.replaceChildren(); return; }
    this.picker.value = dataset;
    try {
      const versions = (await api<VersionInfo[]>('GET', `/datasets/${encodeURIComponent(dataset)}/versions`)).reverse();
      this.timeline.replaceChildren(...versions.map((v) => this.item(dataset, v, versions[0]!.version)));
    } catch (e) { showError(this.errors, e); }
  }

  private item(dataset: string, v: VersionInfo, head: number): HTMLLIElement {
    const admin = this.host.role === 'admin';
    const at = `AT (VERSION => ${v.version})`;
    const rows = [v.rowsAdded ? `+${formatNumber(v.rowsAdded)}` : '', v.rowsRemoved ? `−${formatNumber(v.rowsRemoved)}` : ''].filter(Boolean).join(' ') || '±0';
    const act = async (title: string, detail: string, verb: string, run: () => Promise<unknown>, done: string): Promise<void> => {
      if (!(await confirmAction(title, detail, verb))) return;
      clear(this.errors);
      try {
        await run();
        this.status.textContent = done;
        this.host.changed();
        await this.load(dataset);
      } catch (e) { showError(this.errors, e); }
    };
    const buttons: HTMLElement[] = [
      h('button', { type: 'button', text: 'Query', 'aria-label': `Query ${dataset} at version ${v.version}`, onclick: () => this.host.query(`SELECT * FROM ${dataset} ${at} LIMIT 1000`) }),
      h('button', { type: 'button', text: 'Insert AT', 'aria-label': `Insert ${at} into the editor`, onclick: () => this.host.insertAt(` ${at}`) }),
    ];
    if (admin && v.version < head) {
      buttons.push(h('button', { type: 'button', class: 'danger', text: 'Roll back here', 'aria-label': `Roll back ${dataset} to version ${v.version}`,
        onclick: () => void act(`Roll back ${dataset} to version ${v.version}?`, `A new version will hold exactly what version ${v.version} held; the versions after it stay in the history and can be brought back by reverting the rollback.`, 'Roll back',
          () => api('POST', `/datasets/${encodeURIComponent(dataset)}/rollback`, { to: v.version }), `Rolled back to version ${v.version}.`) }));
    }
    if (admin && v.version > 0 && v.kind !== 'compaction') {
      buttons.push(h('button', { type: 'button', class: 'danger', text: 'Revert', 'aria-label': `Revert version ${v.version} of ${dataset}`,
        onclick: () => void act(`Revert version ${v.version} of ${dataset}?`, `A new version will undo what version ${v.version} did (${describeVersion(v)}, ${rows} rows), leaving every other version's effect in place.`, 'Revert',
          () => api('POST', `/datasets/${encodeURIComponent(dataset)}/revert`, { version: v.version }), `Reverted version ${v.version}.`) }));
    }
    if (admin) {
      buttons.push(h('button', { type: 'button', text: 'Tag', 'aria-label': `Tag version ${v.version} of ${dataset}`, onclick: () => void (async () => {
        const name = await askValue(`Tag version ${v.version} of ${dataset}`, `A tagged version is kept by vacuum until the tag is removed, and can be queried as AT (VERSION => 'name').`, 'Tag name', 'Tag');
        if (!name) return;
        clear(this.errors);
        try {
          await api('POST', `/datasets/${encodeURIComponent(dataset)}/tags`, { name, version: v.version });
          this.status.textContent = `Tagged version ${v.version} as ${name}.`;
          await this.load(dataset);
        } catch (e) { showError(this.errors, e); }
      })() }));
    }
    return h('li', { class: `version kind-${v.kind}`, 'data-version': v.version },
      h('div', { class: 'head' },
        h('strong', { text: `v${v.version}` }), h('span', { class: 'kind', text: describeVersion(v) }), h('span', { class: 'rows', text: rows }),
        h('time', { datetime: v.time, text: v.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z') })),
      (v.writer || v.tags.length > 0) ? h('div', { class: 'meta' },
        v.writer ? h('span', { text: `writer ${v.writer} seq ${v.seq}` }) : null,
        ...v.tags.map((t) => h('span', { class: 'tag', text: `#${t}` }))) : null,
      h('div', { class: 'actions' }, ...buttons));
  }
}
