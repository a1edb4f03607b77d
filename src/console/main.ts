/**
 * The console's shell: asks for a token when the server wants one (kept for
 * the session only), learns the token's role, and switches between the
 * query, datasets, history and live views by the URL's hash.
 */
import './style.css';
import type { DatasetInfo, DatasetSummary, Role } from './api.js';
import { ApiError, api, session } from './api.js';
import { DatasetsView } from './datasets-view.js';
import { h, showError } from './dom.js';
import { HistoryView } from './history-view.js';
import { LiveView } from './live-view.js';
import { QueryView } from './query-view.js';

type ViewName = 'query' | 'datasets' | 'history' | 'live';
const viewNames: [ViewName, string][] = [['query', 'Query'], ['datasets', 'Datasets'], ['history', 'History'], ['live', 'Live']];

const state = { role: 'read' as Role, datasets: [] as string[] };
const go = (hash: string): void => { location.hash = hash; };

const queryView = new QueryView();
const host = {
  get role(): Role { return state.role; },
  changed: () => void loadDatasets(),
  query: (sql: string) => { go('query'); queryView.editor.text = sql; void queryView.run(sql); },
  history: (dataset: string) => go(`history/${dataset}`),
  insertAt: (text: string) => { go('query'); queryView.editor.insert(text); },
};
const datasetsView = new DatasetsView(host);
const historyView = new HistoryView(host);
const liveView = new LiveView();
const views: Record<ViewName, HTMLElement> = { query: queryView.el, datasets: datasetsView.el, history: historyView.el, live: liveView.el };

const roleBadge = h('span', { class: 'role', 'aria-live': 'polite' });
const signOut = h('button', { type: 'button', text: 'Forget token', hidden: true, onclick: () => { session.token = null; location.reload(); } });
const nav = h('nav', { 'aria-label': 'Views' }, ...viewNames.map(([name, label]) => h('a', { href: `#${name}`, 'data-view': name, text: label })));
const errors = h('div', { class: 'errors', role: 'alert', hidden: true });
const main = h('main', { id: 'main' }, errors, ...Object.values(views));
document.body.replaceChildren(
  h('a', { class: 'skip', href: '#main', text: 'Skip to content' }),
  h('header', {}, h('h1', { text: 'Strata' }), nav, h('div', { class: 'who' }, roleBadge, signOut)),
  main);

function route(): void {
  const [name = 'query', arg] = location.hash.replace(/^#/, '').split('/') as [ViewName | '', string | undefined];
  const view: ViewName = name && name in views ? name : 'query';
  for (const [n, el] of Object.entries(views)) el.hidden = n !== view;
  for (const a of nav.querySelectorAll('a')) { if (a.dataset.view === view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current'); }
  if (view === 'datasets') void datasetsView.refresh(arg);
  if (view === 'history') void historyView.load(arg || historyView.picker.value || state.datasets[0] || '');
  if (view === 'live' && arg) liveView.picker.value = arg;
  if (view !== 'live') liveView.stop();
}

async function loadDatasets(): Promise<void> {
  const list = await api<DatasetSummary[]>('GET', '/datasets');
  state.datasets = list.map((d) => d.name);
  historyView.setDatasets(state.datasets);
  liveView.setDatasets(state.datasets);
  // Column names for completion: one describe per dataset (a console's handful).
  const infos = await Promise.all(list.map((d) => api<DatasetInfo>('GET', `/datasets/${encodeURIComponent(d.name)}`).catch(() => null)));
  queryView.setSchema(Object.fromEntries(infos.filter((i): i is DatasetInfo => i !== null).map((i) => [i.name, i.schema.columns.map((c) => c.name)])));
}

/** Asks for a bearer token; resolves once one is given. */
function askToken(message: string): Promise<void> {
  const input = h('input', { type: 'password', id: 'token', autocomplete: 'off', required: true });
  const note = h('p', { class: 'error', role: 'alert', text: message });
  const dialog = h('dialog', { class: 'token', 'aria-labelledby': 'token-title' },
    h('form', { method: 'dialog' },
      h('h2', { id: 'token-title', text: 'Sign in' }),
      h('p', { text: 'This server needs a bearer token. It is kept for this tab only.' }), note,
      h('label', { for: 'token', text: 'Token' }), input,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: 'Use token' }))));
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => { session.token = input.value.trim() || null; dialog.remove(); resolve(); });
    dialog.addEventListener('cancel', (e) => e.preventDefault());
    dialog.showModal();
    input.focus();
  });
}

async function signIn(): Promise<void> {
  for (let message = session.token ? '' : 'No token given yet.'; ;) {
    try {
      const who = await api<{ auth: boolean; role: Role }>('GET', '/whoami');
      state.role = who.role;
      roleBadge.textContent = who.auth ? `role: ${who.role}` : 'no authentication';
      signOut.hidden = !who.auth;
      return;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      message = session.token ? `${e.code}: that token was refused.` : message;
      await askToken(message);
    }
  }
}

window.addEventListener('hashchange', route);
try {
  await signIn();
  await loadDatasets();
} catch (e) {
  showError(errors, e);
}
route();
