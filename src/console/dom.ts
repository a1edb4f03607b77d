/** A few DOM helpers: elements by hyperscript, the error line, a confirm dialog. */
import { ApiError } from './api.js';

type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'text') el.textContent = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export const formatNumber = (n: number): string => n.toLocaleString('en-US');

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** The text an error shows: the server's code first, so it can be looked up in docs/errors.md. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return `${e.code}: ${e.message}`;
  return `Error: ${(e as Error).message ?? String(e)}`;
}

/** Shows an error in a region screen readers announce; nothing fails silently. */
export function showError(region: HTMLElement, e: unknown): void {
  region.replaceChildren(h('p', { class: 'error', text: describeError(e) }));
  region.hidden = false;
}

export function clear(region: HTMLElement): void {
  region.replaceChildren();
  region.hidden = true;
}

/** Asks before a change that cannot be taken back silently; resolves true on confirm. Escape cancels. */
export function confirmAction(title: string, detail: string, action: string): Promise<boolean> {
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' },
    h('h2', { id: 'confirm-title', text: title }),
    h('p', { text: detail }));
  const cancel = h('button', { type: 'button', text: 'Cancel' });
  const ok = h('button', { type: 'button', class: 'danger', text: action });
  dialog.append(h('div', { class: 'actions' }, cancel, ok));
  document.body.append(dialog);
  return new Promise((resolve) => {
    const done = (v: boolean): void => { dialog.close(); dialog.remove(); resolve(v); };
    cancel.addEventListener('click', () => done(false));
    ok.addEventListener('click', () => done(true));
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    dialog.showModal();
    cancel.focus();
  });
}

/** Asks for one value in a dialog with a labelled field; resolves to it, or null when cancelled (Escape too). */
export function askValue(title: string, detail: string, label: string, action: string): Promise<string | null> {
  const input = h('input', { id: 'ask-value', autocomplete: 'off', required: true });
  const cancel = h('button', { type: 'button', text: 'Cancel' });
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'ask-title' },
    h('form', { method: 'dialog' },
      h('h2', { id: 'ask-title', text: title }), h('p', { text: detail }),
      h('label', { for: 'ask-value', text: label }), input,
      h('div', { class: 'actions' }, cancel, h('button', { type: 'submit', class: 'primary', text: action }))));
  document.body.append(dialog);
  return new Promise((resolve) => {
    let value: string | null = null;
    dialog.addEventListener('submit', () => { value = input.value.trim() || null; });
    dialog.addEventListener('close', () => { dialog.remove(); resolve(value); });
    cancel.addEventListener('click', () => dialog.close());
    dialog.showModal();
    input.focus();
  });
}

/** Saves a blob as a file. */
export function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
