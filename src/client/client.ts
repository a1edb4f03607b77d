/**
 * A small typed client for streaming writers and services. Appends carry
 * (writer, seq), so a retry after a timeout or a lost connection can never
 * store a batch twice: the client retries transient failures (connection
 * errors, 429, 503) with jittered exponential backoff, and stops at once on
 * an answer that will not change (400, 404, 409, ...).
 */

export interface ClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Bearer token, when the server requires one. */
  token?: string;
  /** Attempts for a retryable failure (default 8). */
  attemptsMax?: number;
  /** First backoff in ms (default 100; doubles, capped at 5 s). */
  backoffMs?: number;
}

export interface AppendReply { version: number; rows: number; duplicate: boolean }

export class StrataHttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly body: unknown) {
    super(message);
    this.name = 'StrataHttpError';
  }
}

const retryableStatus = new Set([429, 502, 503, 504]);

export class StrataClient {
  private readonly base: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  private async request(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<unknown> {
    const attempts = this.options.attemptsMax ?? 8;
    let delay = this.options.backoffMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${this.base}${path}`, {
          method, body,
          headers: { ...headers, ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}) },
        });
      } catch (e) {
        if (attempt >= attempts) throw e;
        await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
        delay = Math.min(delay * 2, 5000);
        continue;
      }
      const text = await response.text();
      const parsed: unknown = text === '' ? null : JSON.parse(text);
      if (response.ok) return parsed;
      if (retryableStatus.has(response.status) && attempt < attempts) {
        const after = Number(response.headers.get('retry-after'));
        await new Promise((r) => setTimeout(r, Number.isFinite(after) && after > 0 ? after * 1000 : delay * (0.5 + Math.random())));
        delay = Math.min(delay * 2, 5000);
        continue;
      }
      const err = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
      throw new StrataHttpError(response.status, err?.code ?? 'HTTP_ERROR', err?.message ?? `${method} ${path}: HTTP ${response.status}`, parsed);
    }
  }

  /**
   * Appends rows (objects keyed by column name) as one batch, exactly once per (writer, seq).
   * @example await client.append('events', [{ ts: '2026-11-26T10:00:00Z', host: 'a', v: 1 }], { writer: 'agent-1', seq: 42 })
   */
  async append(dataset: string, rows: readonly Record<string, unknown>[], id: { writer: string; seq: number }): Promise<AppendReply> {
    const body = rows.map((r) => JSON.stringify(r)).join('\n');
    return this.request('POST', `/datasets/${encodeURIComponent(dataset)}/rows`, body, {
      'content-type': 'application/x-ndjson', 'strata-writer': id.writer, 'strata-seq': String(id.seq),
    }) as Promise<AppendReply>;
  }

  /** Runs one read-only SELECT. */
  async sql(sql: string): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }> {
    return this.request('POST', '/sql', JSON.stringify({ sql }), { 'content-type': 'application/json' }) as Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }>;
  }
}
