/**
 * The console's only way to the server: the HTTP API, with the session's
 * bearer token (kept in sessionStorage, so it ends with the tab). Every
 * failure becomes an ApiError carrying the server's STRATA_ERR_* code.
 */
export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) { super(message); }
}

export interface Column { name: string; type: string }
export interface ScanStats { dataset: string; version: number; chunks: number; prunedByPartition: number; prunedByStats: number; chunksRead: number; rowsRead: number; rowsSelected: number; predicates: string[] }
export interface Explain { path: string; scans: ScanStats[]; parseMs: number; scanMs: number; duckdbMs: number; kernels: string }
export interface QueryAnswer { columns: Column[]; rows: unknown[][]; explain?: Explain; ms: number }
export interface DatasetSummary { name: string; version: number; rows: number; chunks: number; bytes: number }
export interface DatasetInfo extends DatasetSummary {
  schema: { columns: Column[]; partitionKey: string[]; sortKey: string[]; chunkRows: number };
  partitions: number; segments: number; mixedChunks: number; pendingCompactionChunks: number; createdAt: string; updatedAt: string; retainMs: number;
}
export interface VersionInfo {
  version: number; kind: string; time: string; rowsAdded: number; rowsRemoved: number; writer: string | null; seq: number | null;
  rollbackTo: number | null; revertOf: number | null; where: string | null; tags: string[]; withdrawn?: number[];
}
export interface AppendAnswer { version: number; rows: number; duplicate: boolean }
export type Role = 'read' | 'write' | 'admin';

const tokenKey = 'strata-token';
export const session = {
  get token(): string | null { return sessionStorage.getItem(tokenKey); },
  set token(t: string | null) { if (t) sessionStorage.setItem(tokenKey, t); else sessionStorage.removeItem(tokenKey); },
};

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = session.token;
  return { ...(t ? { authorization: `Bearer ${t}` } : {}), ...extra };
}

async function failure(r: Response): Promise<ApiError> {
  const text = await r.text();
  try {
    const e = (JSON.parse(text) as { error: { code: string; message: string } }).error;
    return new ApiError(e.code, e.message, r.status);
  } catch {
    return new ApiError(`HTTP_${r.status}`, text.slice(0, 300) || r.statusText, r.status);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let r: Response;
  try {
    r = await fetch(path, { method, headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (e) {
    throw new ApiError('NETWORK', `the server did not answer: ${(e as Error).message}`, 0);
  }
  if (!r.ok) throw await failure(r);
  return (r.status === 204 ? undefined : await r.json()) as T;
}

export async function query(sql: string): Promise<QueryAnswer> {
  const t0 = performance.now();
  const a = await api<Omit<QueryAnswer, 'ms'>>('POST', '/sql', { sql, explain: true });
  return { ...a, ms: performance.now() - t0 };
}

/** The answer in another format (CSV or Arrow), as a file the browser saves. */
export async function download(sql: string, format: 'csv' | 'arrow'): Promise<Blob> {
  const accept = format === 'csv' ? 'text/csv' : 'application/vnd.apache.arrow.stream';
  const r = await fetch('/sql', { method: 'POST', headers: headers({ 'content-type': 'application/json', accept }), body: JSON.stringify({ sql }) });
  if (!r.ok) throw await failure(r);
  return r.blob();
}

const uploadTypes: Record<string, string> = { csv: 'text/csv', ndjson: 'application/x-ndjson', jsonl: 'application/x-ndjson', json: 'application/x-ndjson', arrow: 'application/vnd.apache.arrow.stream', arrows: 'application/vnd.apache.arrow.stream' };

export function uploadType(fileName: string): string | undefined {
  return uploadTypes[fileName.toLowerCase().split('.').pop() ?? ''];
}

/**
 * Uploads a file as one idempotent batch: writer `console/<digest of the
 * bytes>`, seq 0. A retry of the same file (after a dropped connection, a
 * second click) answers duplicate with the version that holds it, never a
 * second copy. XMLHttpRequest, as fetch reports no upload progress.
 */
export async function upload(dataset: string, file: File, onProgress: (sent: number, total: number) => void): Promise<AppendAnswer> {
  const type = uploadType(file.name);
  if (!type) throw new ApiError('STRATA_ERR_UNSUPPORTED_MEDIA_TYPE', `${file.name}: the file must end in .csv, .ndjson, .jsonl, .json or .arrow`, 0);
  const writer = `console/${await digest(file)}`;
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', `/datasets/${encodeURIComponent(dataset)}/rows`);
    for (const [k, v] of Object.entries(headers({ 'content-type': type, 'strata-writer': writer, 'strata-seq': '0' }))) x.setRequestHeader(k, v);
    x.upload.onprogress = (e) => onProgress(e.loaded, e.total || file.size);
    x.onerror = () => reject(new ApiError('NETWORK', 'the upload was cut off; sending the same file again is safe (it is stored once)', 0));
    x.onload = () => {
      if (x.status >= 200 && x.status < 300) { onProgress(file.size, file.size); resolve(JSON.parse(x.responseText) as AppendAnswer); return; }
      void failure(new Response(x.responseText, { status: x.status })).then(reject);
    };
    x.send(file);
  });
}

/** A 64-bit digest of the file's bytes (two FNV-1a lanes): it names the upload, so the same file is the same batch. */
async function digest(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let a = 0x811c9dc5; let b = 0x01000193 ^ bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i]!, 0x01000193);
    b = Math.imul(b ^ bytes[i]!, 0x5bd1e995) ^ (b >>> 15);
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}-${bytes.length}`;
}

/** Server-Sent Events over fetch (EventSource cannot send the token). Yields {event, data} until aborted. */
export async function* events(path: string, signal: AbortSignal): AsyncGenerator<{ event: string; id: string | null; data: unknown }> {
  const r = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal });
  if (!r.ok) throw await failure(r);
  const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message'; let id: string | null = null; const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') event = val; else if (field === 'id') id = val; else if (field === 'data') data.push(val);
      }
      if (data.length > 0) yield { event, id, data: JSON.parse(data.join('\n')) as unknown };
    }
  }
}
