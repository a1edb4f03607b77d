/**
 * Backpressure: at most `inFlightMax` tasks run at once and at most
 * `queuedMax` wait; anything beyond is refused at once (STRATA_ERR_OVERLOADED,
 * 429 with Retry-After over HTTP) instead of queueing without bound. Used for
 * HTTP ingest (a waiting request's body stays unread in the socket, so
 * waiting costs no memory beyond the connection) and for queries.
 */
import { StrataError } from './errors.js';

export class Admission {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  /** `what` names the queue and `limit` its waiting limit, for the refusal's message. */
  constructor(private readonly inFlightMax: number, private readonly queuedMax: number, private readonly what: string, private readonly limit: string) {}

  get depth(): number { return this.inFlight + this.waiting.length; }

  /**
   * Resolves when the caller may proceed; it must call the returned release exactly once.
   * With `waitMsMax`, a caller still waiting after that long is refused as if the queue were full.
   */
  async enter(waitMsMax?: number): Promise<() => void> {
    if (this.inFlight >= this.inFlightMax) {
      if (this.waiting.length >= this.queuedMax) {
        throw new StrataError('STRATA_ERR_OVERLOADED', `the ${this.what} queue is full (${this.inFlightMax} running, ${this.queuedMax} waiting); retry shortly`, { retryable: true, limit: this.limit });
      }
      await new Promise<void>((resolve, reject) => {
        const turn = (): void => { clearTimeout(timer); resolve(); };
        const timer = waitMsMax === undefined ? undefined : setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(turn), 1);
          reject(new StrataError('STRATA_ERR_OVERLOADED', `waited ${waitMsMax} ms in the ${this.what} queue; retry shortly`, { retryable: true, limit: this.limit }));
        }, waitMsMax);
        this.waiting.push(turn);
      });
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
