/**
 * A small typed client for streaming writers and services. Appends carry
 * (writer, seq), so a retry after a timeout or a lost connection can never
 * store a batch twice: the client retries transient failures (connection
 * errors, 429, 503) with jittered exponential backoff, and stops at once on
 * an answer that will not change (400, 404, 409, ...).
 *
 * `client.writer(...)` pipelines: it numbers batches itself and keeps up to
 * `inFlight` of them on the wire at once. The server stores each (writer,
 * seq) exactly once in whatever order they arrive, so retrying any of them,
 * out of order, across a server restart, is always safe.
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

  /** Where a writer stands (its newest committed seq), or null when it has no seq in the dataset's history. */
  async writerState(dataset: string, writer: string): Promise<{ seq: number; version: number; floor: number } | null> {
    try {
      return await this.request('GET', `/datasets/${encodeURIComponent(dataset)}/writers/${encodeURIComponent(writer)}`, undefined, {}) as { seq: number; version: number; floor: number };
    } catch (e) {
      if (e instanceof StrataHttpError && e.code === 'STRATA_ERR_WRITER_NOT_FOUND') return null;
      throw e;
    }
  }

  /**
   * A pipelined writer: `send(rows)` takes the next seq and returns once the
   * batch is stored (or refused for good), with at most `inFlight` batches
   * on the wire; `flush()` waits for all of them. By default it resumes after
   * the writer's newest seq on the server.
   * @example const w = await client.writer('events', 'agent-1', { inFlight: 16 }); for (const b of batches) void w.send(b); await w.flush();
   */
  async writer(dataset: string, writer: string, options: { inFlight?: number; nextSeq?: number } = {}): Promise<PipelinedWriter> {
    const next = options.nextSeq ?? ((await this.writerState(dataset, writer))?.seq ?? 0) + 1;
    return new PipelinedWriter(this, dataset, writer, next, options.inFlight ?? 16);
  }

  /** Runs one read-only SELECT. */
  async sql(sql: string): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }> {
    return this.request('POST', '/sql', JSON.stringify({ sql }), { 'content-type': 'application/json' }) as Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }>;
  }
}

/** See StrataClient.writer. */
export class PipelinedWriter {
  private inFlightNow = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Set<Promise<AppendReply>>();

  constructor(private readonly client: StrataClient, readonly dataset: string, readonly writer: string, private nextSeq: number, private readonly inFlight: number) {}

  /** The seq the next batch will carry. */
  get seq(): number { return this.nextSeq; }

  /** Sends one batch under the next seq; waits first while `inFlight` batches are on the wire. */
  async send(rows: readonly Record<string, unknown>[]): Promise<AppendReply & { seq: number }> {
    const seq = this.nextSeq++;
    while (this.inFlightNow >= this.inFlight) await new Promise<void>((r) => this.waiting.push(r));
    this.inFlightNow++;
    const p = this.client.append(this.dataset, rows, { writer: this.writer, seq });
    this.pending.add(p);
    try {
      return { ...(await p), seq };
    } finally {
      this.pending.delete(p);
      this.inFlightNow--;
      this.waiting.shift()?.();
    }
  }

  /** Waits until every batch sent so far is answered (rejects if one was refused). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
