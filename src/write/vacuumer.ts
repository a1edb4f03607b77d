/**
 * Automatic vacuum (in `strata serve`): every `vacuumEveryMs`, each dataset
 * is vacuumed with the default retention. One run at a time; a failure is
 * a warning and a count, and the next run tries again.
 */
import type { VacuumResult } from './vacuum.js';

export interface VacuumTotals {
  runs: number;
  segments: number;
  versions: number;
  checkpoints: number;
  failures: number;
}

export class Vacuumer {
  readonly totals: VacuumTotals = { runs: 0, segments: 0, versions: 0, checkpoints: 0, failures: 0 };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly datasets: () => Promise<string[]>,
    private readonly vacuum: (name: string) => Promise<VacuumResult>,
    private readonly warn: (message: string) => void,
  ) {}

  start(everyMs: number): void {
    if (everyMs <= 0 || this.timer) return;
    this.timer = setInterval(() => { this.running ??= this.run().finally(() => { this.running = null; }); }, everyMs);
    this.timer.unref();
  }

  /** One pass over every dataset (also what the timer runs). */
  async run(): Promise<void> {
    this.totals.runs++;
    for (const name of await this.datasets().catch((e: unknown) => { this.fail(`cannot list datasets: ${(e as Error).message}`); return []; })) {
      try {
        const r = await this.vacuum(name);
        this.totals.segments += r.segments;
        this.totals.versions += r.versions;
        this.totals.checkpoints += r.checkpoints;
      } catch (e) {
        // A dataset dropped while the pass ran is not a failure.
        if ((e as { code?: string }).code === 'STRATA_ERR_DATASET_NOT_FOUND') continue;
        this.fail(`${name}: ${(e as Error).message}`);
      }
    }
  }

  private fail(message: string): void {
    this.totals.failures++;
    this.warn(`automatic vacuum failed: ${message}`);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
