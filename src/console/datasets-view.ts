/**
 * Datasets: the list (rows, chunks, bytes, version), one dataset's schema,
 * keys and compaction state, creating a dataset (admin) and uploading a
 * CSV, NDJSON or Arrow file into one (write) with a progress bar. An upload
 * is one idempotent batch named by the file's bytes: sent again, it answers
 * with the version that already holds it.
 */
import type { DatasetInfo, DatasetSummary, Role } from './api.js';
import { api, upload } from './api.js';
import { clear, formatBytes, formatNumber, h, showError } from './dom.js';

export interface DatasetsHost {
  role: Role;
  /** The datasets changed (created, loaded): refresh names for completion and pickers. */
  changed(): void;
  query(sql: string): void;
  history(dataset: string): void;
}

export class DatasetsView {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly errors: HTMLElement;
  private readonly create: HTMLElement;
  private showing = 0;

  constructor(private readonly host: DatasetsHost) {
    this.list = h('div', { class: 'dataset-list' });
    this.detail = h('section', { class: 'dataset-detail', 'aria-label': 'Dataset', 'aria-live': 'polite' });
    this.errors = h('div', { class: 'errors', role: 'alert', hidden: true });
    this.create = this.createForm();
    this.el = h('section', { class: 'view datasets-view', 'aria-label': 'Datasets' },
      h('div', { class: 'toolbar' }, h('h2', { text: 'Datasets' }), h('button', { type: 'button', text: 'Refresh', onclick: () => void this.refresh() })),
      this.errors, this.list, this.detail, this.create);
  }

  async refresh(selected?: string): Promise<void> {
    clear(this.errors);
    try {
      const all = await api<DatasetSummary[]>('GET', '/datasets');
      this.create.hidden = this.host.role !== 'admin';
      const rows = all.map((d) => h('tr', {},
        h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', text: d.name, 'aria-label': `Show dataset ${d.name}`, onclick: () => void this.show(d.name) })),
        h('td', { class: 'num', text: formatNumber(d.rows) }), h('td', { class: 'num', text: formatNumber(d.chunks) }),
        h('td', { class: 'num', text: formatBytes(d.bytes) }), h('td', { class: 'num', text: String(d.version) })));
      this.list.replaceChildren(all.length === 0 ? h('p', { class: 'note', text: 'No datasets yet.' }) : h('div', { class: 'scroll-x' }, h('table', {},
        h('caption', { class: 'sr-only', text: 'Datasets' }),
        h('thead', {}, h('tr', {}, ...['name', 'rows', 'chunks', 'bytes', 'version'].map((c) => h('th', { scope: 'col', text: c })))),
        h('tbody', {}, ...rows))));
      const name = selected ?? this.detail.dataset.name;
      if (name && all.some((d) => d.name === name)) await this.show(name);
    } catch (e) { showError(this.errors, e); }
  }

  /** Shows a dataset; `said` is what its upload form last said (kept across the refresh an upload makes). */
  async show(name: string, said = ''): Promise<void> {
    clear(this.errors);
    const ticket = ++this.showing;
    try {
      const d = await api<DatasetInfo>('GET', `/datasets/${encodeURIComponent(name)}`);
      if (ticket !== this.showing) return; // a later show() renders instead
      this.detail.dataset.name = name;
      const dl = (pairs: [string, string][]): HTMLElement => h('dl', {}, ...pairs.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
      const chunks = (n: number): string => `${formatNumber(n)} chunk${n === 1 ? '' : 's'}`;
      const compaction = d.pendingCompactionChunks === 0 ? 'compacted' : `${chunks(d.pendingCompactionChunks)} to compact (${formatNumber(d.mixedChunks)} mixed)`;
      this.detail.replaceChildren(
        h('h2', { text: d.name }),
        h('div', { class: 'actions' },
          h('button', { type: 'button', text: 'Query it', onclick: () => this.host.query(`SELECT * FROM ${d.name} LIMIT 1000`) }),
          h('button', { type: 'button', text: 'History', onclick: () => this.host.history(d.name) })),
        dl([['version', String(d.version)], ['rows', formatNumber(d.rows)], ['chunks', formatNumber(d.chunks)], ['segments', formatNumber(d.segments)], ['bytes', formatBytes(d.bytes)],
          ['partitions', formatNumber(d.partitions)], ['partition key', d.schema.partitionKey.join(', ') || '(none)'], ['sort key', d.schema.sortKey.join(', ') || '(none)'],
          ['compaction', compaction], ['updated', d.updatedAt]]),
        h('div', { class: 'scroll-x' }, h('table', { class: 'schema' }, h('caption', { text: 'Schema' }),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'column' }), h('th', { scope: 'col', text: 'type' }))),
          h('tbody', {}, ...d.schema.columns.map((c) => h('tr', {}, h('td', { text: c.name }), h('td', { text: c.type })))))),
        this.host.role === 'read' ? h('p', { class: 'note', text: 'Uploading needs a write token.' }) : this.uploadForm(d.name, said));
    } catch (e) { showError(this.errors, e); }
  }

  private uploadForm(dataset: string, said: string): HTMLElement {
    const input = h('input', { type: 'file', id: 'upload-file', accept: '.csv,.ndjson,.jsonl,.json,.arrow,.arrows' });
    const progress = h('progress', { max: 1, value: 0, 'aria-label': 'Upload progress', hidden: true });
    const result = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', text: said });
    const errors = h('div', { class: 'errors', role: 'alert', hidden: true });
    const send = async (): Promise<void> => {
      const file = input.files?.[0];
      if (!file) { result.textContent = 'Choose a file first.'; return; }
      clear(errors);
      progress.hidden = false;
      progress.value = 0;
      result.textContent = `Uploading ${file.name}…`;
      try {
        const r = await upload(dataset, file, (sent, total) => { progress.value = total ? sent / total : 0; });
        const said = r.duplicate ? `Already stored: ${file.name} is in version ${r.version}; nothing was added.` : `Stored ${formatNumber(r.rows)} rows as version ${r.version}.`;
        result.textContent = said;
        this.host.changed();
        // The dataset's numbers after the upload; the form keeps what it said, with a full bar.
        await this.show(dataset, said);
        const bar = this.detail.querySelector('form.upload progress') as HTMLProgressElement | null;
        if (bar) { bar.hidden = false; bar.value = 1; }
      } catch (e) {
        result.textContent = 'Upload failed.';
        showError(errors, e);
      }
    };
    return h('form', { class: 'upload', 'aria-label': `Upload a file into ${dataset}`, onsubmit: (e: Event) => { e.preventDefault(); void send(); } },
      h('h3', { text: 'Upload a file' }),
      h('label', { for: 'upload-file', text: 'CSV, NDJSON or Arrow file' }), input,
      h('button', { type: 'submit', text: 'Upload' }), progress, result, errors);
  }

  private createForm(): HTMLElement {
    const field = (id: string, label: string, placeholder: string, required = false): [HTMLElement, HTMLInputElement] => {
      const input = h('input', { id, name: id, placeholder, required, autocomplete: 'off' });
      return [h('div', { class: 'field' }, h('label', { for: id, text: label }), input), input];
    };
    const [nameField, name] = field('create-name', 'Name', 'weather', true);
    const [schemaField, schema] = field('create-schema', 'Columns (name:type, …)', 'ts:timestamp,city:string,temp:float64', true);
    const [partField, part] = field('create-partition', 'Partition key', 'city');
    const [sortField, sort] = field('create-sort', 'Sort key', 'ts');
    const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    const errors = h('div', { class: 'errors', role: 'alert', hidden: true });
    const create = async (): Promise<void> => {
      clear(errors);
      try {
        await api('POST', '/datasets', { name: name.value.trim(), schema: schema.value.trim(), ...(part.value.trim() ? { partitionKey: part.value.trim() } : {}), ...(sort.value.trim() ? { sortKey: sort.value.trim() } : {}) });
        status.textContent = `Created ${name.value.trim()}.`;
        this.host.changed();
        await this.refresh(name.value.trim());
      } catch (e) { showError(errors, e); }
    };
    return h('form', { class: 'create', 'aria-label': 'Create a dataset', hidden: true, onsubmit: (e: Event) => { e.preventDefault(); void create(); } },
      h('h3', { text: 'Create a dataset' }), nameField, schemaField, partField, sortField,
      h('button', { type: 'submit', text: 'Create' }), status, errors);
  }
}
