/**
 * A dataset's versions as they commit, from a given version on: what change
 * feeds (`GET /datasets/:name/changes`, `strata tail`) send. With `sql`, each
 * version also carries that query's answer over the rows the version added
 * (a continuous query). Waiting costs nothing: the feed sleeps until the
 * dataset's watcher says the head moved.
 */
import type { QueryResult } from '../sql/query.js';
import type { ChangeInfo, Strata } from './strata.js';

export interface ChangeEvent {
  version: number;
  change: ChangeInfo;
  result: Pick<QueryResult, 'columns' | 'rows'> | null;
}

export async function* changeFeed(db: Strata, name: string, from: number, options: { sql?: string; signal: AbortSignal }): AsyncGenerator<ChangeEvent> {
  const { sql, signal } = options;
  let head = await db.headVersion(name);
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const stop = db.watch(name, head, (h) => { head = Math.max(head, h); wake?.(); }, (e) => { failure = e; wake?.(); });
  const onAbort = (): void => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    for (let next = from; ;) {
      for (; next <= head && !signal.aborted; next++) {
        const change = await db.change(name, next);
        const r = sql ? await db.sql(sql, { delta: { dataset: name, version: next } }) : null;
        yield { version: next, change, result: r ? { columns: r.columns, rows: r.rows } : null };
      }
      if (failure) throw failure;
      if (signal.aborted) return;
      await new Promise<void>((resolve) => { wake = resolve; });
      wake = null;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    stop();
  }
}
