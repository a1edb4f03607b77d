/**
 * Compaction in the background of a long-lived Strata (strata serve): after
 * a commit, a dataset gets a tiered compaction run every
 * compactionIntervalMs while commits keep coming, and a full one once it has
 * been quiet for compactionIdleMs. Runs of one dataset never overlap, on
 * demand or in the background; timers never keep a process alive, and
 * close() waits for the run in progress.
 */
import type { Limits } from '../core/limits.js';
import type { CompactionOptions, CompactionResult } from './compaction.js';

interface DatasetState {
  timer: NodeJS.Timeout | null;
  lastCommit: number;
  running: Promise<CompactionResult> | null;
}

export interface CompactionTotals {
  runs: number;
  commits: number;
  chunksIn: number;
  chunksOut: number;
  rows: number;
  bytesIn: number;
  bytesOut: number;
  seconds: number;
  failures: number;
}

export class Compactor {
  private readonly datasets = new Map<string, DatasetState>();
  private closed = false;
  readonly totals: CompactionTotals = { runs: 0, commits: 0, chunksIn: 0, chunksOut: 0, rows: 0, bytesIn: 0, bytesOut: 0, seconds: 0, failures: 0 };

  constructor(
    private readonly run: (dataset: string, options: CompactionOptions) => Promise<CompactionResult>,
    private readonly limits: Limits,
    private readonly onWarning: (message: string) => void,
  ) {}

  private state(dataset: string): DatasetState {
    let s = this.datasets.get(dataset);
    if (!s) { s = { timer: null, lastCommit: 0, running: null }; this.datasets.set(dataset, s); }
    return s;
  }

  /** A commit happened (compaction's own commits are not news). */
  committed(dataset: string): void {
    if (this.closed || this.limits.compactionIdleMs === 0) return;
    const s = this.state(dataset);
    s.lastCommit = Date.now();
    this.schedule(dataset, this.limits.compactionIntervalMs);
  }

  private schedule(dataset: string, ms: number): void {
    const s = this.state(dataset);
    if (s.timer || this.closed) return;
    s.timer = setTimeout(() => { s.timer = null; void this.tick(dataset); }, ms);
    s.timer.unref();
  }

  private async tick(dataset: string): Promise<void> {
    const s = this.state(dataset);
    const quietFor = Date.now() - s.lastCommit;
    const full = quietFor >= this.limits.compactionIdleMs;
    await this.compact(dataset, { full }).catch((e: unknown) => {
      this.totals.failures++;
      this.onWarning(`${dataset}: background compaction failed: ${(e as Error).message}`);
    });
    // While commits come, run again each interval; once quiet, one full run, then rest until the next commit.
    if (!full) this.schedule(dataset, Math.min(this.limits.compactionIntervalMs, Math.max(0, this.limits.compactionIdleMs - quietFor)));
  }

  /** Runs one compaction of the dataset now (after the run in progress, if any). */
  async compact(dataset: string, options: CompactionOptions): Promise<CompactionResult> {
    const s = this.state(dataset);
    while (s.running) await s.running.catch(() => undefined);
    const running = this.run(dataset, options);
    s.running = running;
    try {
      const r = await running;
      this.totals.runs++;
      if (r.version !== null) {
        this.totals.commits++;
        this.totals.chunksIn += r.chunksIn;
        this.totals.chunksOut += r.chunksOut;
        this.totals.rows += r.rows;
        this.totals.bytesIn += r.bytesIn;
        this.totals.bytesOut += r.bytesOut;
      }
      this.totals.seconds += r.ms / 1000;
      return r;
    } finally {
      if (s.running === running) s.running = null;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.datasets.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
    }
    await Promise.all([...this.datasets.values()].map((s) => s.running?.catch(() => undefined)));
  }
}
