/**
 * Telling change feeds that a dataset moved. A commit made through this
 * process is announced at once; commits by other processes (another server
 * on the same Cassandra, a CLI on the same folder) are found by one look at
 * the head per watched dataset every feedPollMs, however many feeds watch it.
 */
import { isStrataError } from '../core/errors.js';

type Listener = { onHead: (head: number) => void; onError: (e: Error) => void };

interface Watched {
  listeners: Set<Listener>;
  head: number;
  timer: NodeJS.Timeout;
}

export class HeadWatcher {
  private readonly watched = new Map<string, Watched>();

  constructor(private readonly headOf: (dataset: string) => Promise<number>, private readonly pollMs: number) {}

  /** Calls `onHead` whenever the dataset's head moves past what it last saw; returns the way to stop. */
  watch(dataset: string, start: number, onHead: (head: number) => void, onError: (e: Error) => void): () => void {
    let w = this.watched.get(dataset);
    if (!w) {
      const entry: Watched = { listeners: new Set(), head: start, timer: setInterval(() => void this.poll(dataset), this.pollMs) };
      this.watched.set(dataset, entry);
      w = entry;
    }
    const listener = { onHead, onError };
    w.listeners.add(listener);
    if (w.head > start) onHead(w.head);
    return () => {
      const cur = this.watched.get(dataset);
      if (!cur) return;
      cur.listeners.delete(listener);
      if (cur.listeners.size === 0) { clearInterval(cur.timer); this.watched.delete(dataset); }
    };
  }

  /** A commit of this process: announce it without waiting for the next look. */
  committed(dataset: string, version: number): void {
    const w = this.watched.get(dataset);
    if (!w || version <= w.head) return;
    w.head = version;
    for (const l of [...w.listeners]) l.onHead(version);
  }

  private async poll(dataset: string): Promise<void> {
    try {
      this.committed(dataset, await this.headOf(dataset));
    } catch (e) {
      const w = this.watched.get(dataset);
      // An unreachable store is retried at the next look; a dropped dataset ends its feeds.
      if (!w || !isStrataError(e, 'STRATA_ERR_DATASET_NOT_FOUND')) return;
      for (const l of [...w.listeners]) l.onError(e);
    }
  }

  close(): void {
    for (const w of this.watched.values()) clearInterval(w.timer);
    this.watched.clear();
  }
}
