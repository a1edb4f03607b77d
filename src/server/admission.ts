/**
 * Backpressure for ingest: at most `inFlightMax` batches are read and
 * committed at once and at most `queuedMax` wait; anything beyond is refused
 * at once (429 with Retry-After) instead of buffering without bound. A
 * waiting request's body stays unread in the socket, so waiting costs no
 * memory beyond the connection.
 */
import { StrataError } from '../core/errors.js';

export class Admission {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly inFlightMax: number, private readonly queuedMax: number) {}

  get depth(): number { return this.inFlight + this.waiting.length; }

  /** Resolves when the caller may proceed; it must call the returned release exactly once. */
  async enter(): Promise<() => void> {
    if (this.inFlight >= this.inFlightMax) {
      if (this.waiting.length >= this.queuedMax) {
        throw new StrataError('STRATA_ERR_OVERLOADED', `the ingest queue is full (${this.inFlightMax} in flight, ${this.queuedMax} waiting); retry shortly`, { retryable: true, limit: 'ingestQueuedMax' });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.inFlight++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(); else this.inFlight--;
    };
  }
}
