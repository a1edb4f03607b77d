/**
 * Where queries run: one sandboxed DuckDB instance (opened on first use), a
 * connection per query, at most queriesInFlightMax queries in DuckDB at once,
 * and a deadline that holds for the whole query, answer included.
 *
 * At queryMsMax the query is interrupted and its caller gets
 * STRATA_ERR_QUERY_TIMEOUT at once. DuckDB checks for interruption between
 * vectors, so almost every query stops promptly; one long scalar call (a huge
 * repeat() or range()) cannot be stopped midway, and until it returns it
 * keeps its connection and its place among the queries in flight, so such
 * queries cannot pile up. A place is held only while DuckDB works (binding,
 * or producing the next vector), not while a slow client reads: a reader
 * that never reads holds its connection until queryMsMax, not a place. DuckDB runs on libuv's thread pool: `strata`
 * enlarges that pool (UV_THREADPOOL_SIZE) so that queries in flight never
 * take every thread from file I/O.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Admission } from '../core/admission.js';
import { StrataError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import { openQuery, readAll } from './query.js';
import type { QueryCursor, QueryResult, ScanSource } from './query.js';
import { openSandbox } from './sandbox.js';
import { registerScanFunction } from './scan.js';
import { serializeSql } from './tree.js';
import type { ParsedSql } from './tree.js';

export interface RunOptions {
  pushdown?: boolean;
  engine?: boolean;
}

/** A cursor whose reads are bounded by the query's deadline; `signal` aborts when it passes. */
export interface TimedCursor extends QueryCursor {
  readonly signal: AbortSignal;
}

export class QueryRunner {
  private duck: Promise<{ instance: DuckDBInstance; setup: DuckDBConnection }> | null = null;
  private readonly gate: Admission;

  constructor(private readonly limits: Limits) {
    this.gate = new Admission(limits.queriesInFlightMax, limits.queriesQueuedMax, 'query', 'queriesQueuedMax');
  }

  private instance(): Promise<{ instance: DuckDBInstance; setup: DuckDBConnection }> {
    this.duck ??= (async () => {
      const instance = await openSandbox({ threads: this.limits.duckdbThreads, memoryBytes: this.limits.duckdbMemoryBytesMax });
      const setup = await instance.connect();
      registerScanFunction(setup);
      return { instance, setup };
    })();
    return this.duck;
  }

  /** DuckDB's parse of a statement (parse errors are STRATA_ERR_SQL_PARSE; nothing runs). */
  async parse(sql: string): Promise<ParsedSql> {
    const parsed = await serializeSql((await this.instance()).setup, sql);
    const tree = parsed.plain as { error?: boolean; error_message?: string };
    if (tree.error) throw new StrataError('STRATA_ERR_SQL_PARSE', String(tree.error_message ?? 'cannot parse'));
    return parsed;
  }

  /** Queries running or waiting. */
  get depth(): number { return this.gate.depth; }

  /** Runs a query and reads its whole answer (at most resultRowsMax rows). */
  async run(source: ScanSource, sql: string, options: RunOptions = {}): Promise<QueryResult> {
    return readAll(await this.open(source, sql, options));
  }

  /** Opens a query's answer as a cursor; the caller must close it. */
  async open(source: ScanSource, sql: string, options: RunOptions = {}): Promise<TimedCursor> {
    const deadline = new AbortController();
    const timeout = new StrataError('STRATA_ERR_QUERY_TIMEOUT', `the query took longer than queryMsMax = ${this.limits.queryMsMax} ms and was stopped`, { limit: 'queryMsMax' });
    let con: DuckDBConnection | null = null;
    const expired = new Promise<never>((_, reject) => {
      deadline.signal.addEventListener('abort', () => { con?.interrupt(); reject(timeout); }, { once: true });
    });
    expired.catch(() => {});
    const timer = setTimeout(() => deadline.abort(timeout), this.limits.queryMsMax);
    // The DuckDB call in progress: the connection is closed only once it has settled.
    let pending: Promise<unknown> = Promise.resolve();
    /**
     * Runs one step of DuckDB work holding a place among the queries in flight, until the step
     * really ends (a step that ignores its interrupt keeps the place); the caller waits until the deadline at most.
     */
    const step = async <T>(work: () => Promise<T>): Promise<T> => {
      const entering = this.gate.enter();
      let release: () => void;
      try {
        release = await Promise.race([entering, expired]);
      } catch (e) {
        void entering.then((r) => r(), () => {});
        throw e;
      }
      const p = work();
      pending = p.then(() => {}, () => {}).finally(release);
      return Promise.race([p, expired]);
    };

    let cursor: QueryCursor | null = null;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      void pending.then(() => {
        cursor?.close();
        con?.closeSync();
      });
    };
    try {
      const { instance } = await Promise.race([this.instance(), expired]);
      con = await Promise.race([instance.connect(), expired]);
      const connection = con;
      cursor = await step(async () => {
        const c = await openQuery(connection, source, sql, {
          resultRowsMax: this.limits.resultRowsMax, queryDatasetRefsMax: this.limits.queryDatasetRefsMax,
          pushdown: options.pushdown ?? true, engine: options.engine ?? true,
        });
        // A query opened after its deadline is closed as soon as it opens.
        cursor = c;
        return c;
      });
    } catch (e) {
      close();
      throw e;
    }
    const opened = cursor;
    return {
      columns: opened.columns, types: opened.types, explain: opened.explain, signal: deadline.signal,
      next: () => (closed ? Promise.resolve(null) : step(() => opened.next())),
      close,
    };
  }

  async close(): Promise<void> {
    if (!this.duck) return;
    const { instance, setup } = await this.duck;
    setup.closeSync();
    instance.closeSync();
    this.duck = null;
  }
}
