// Exchange's per-mailbox limits as the simulator enforces them: a sliding window of accepted
// messages and a cap on concurrent requests, both answered with 429 and Retry-After like Graph.
export interface MailboxLimitOptions {
  /** Messages accepted per window per mailbox (Exchange: 30 a minute; scale down for tests). */
  messagesPerWindow: number;
  windowMs: number;
  /** Concurrent sendMail requests per mailbox (Graph: 4). */
  concurrentRequests: number;
}

export type LimitVerdict = { ok: true; release(): void } | { ok: false; code: string; message: string; retryAfterSeconds: number };

export class MailboxLimiter {
  private readonly accepted = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();
  /** 429s answered because of these limits. */
  rejections = 0;

  constructor(readonly options: MailboxLimitOptions) {}

  /** On arrival: a request beyond the mailbox's concurrency is refused at once. */
  enter(mailbox: string): LimitVerdict {
    const current = this.inFlight.get(mailbox) ?? 0;
    if (current >= this.options.concurrentRequests) {
      this.rejections += 1;
      return {
        ok: false,
        code: 'ApplicationThrottled',
        message: 'Application is over its MailboxConcurrency limit.',
        retryAfterSeconds: 1,
      };
    }
    this.inFlight.set(mailbox, current + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight.set(mailbox, (this.inFlight.get(mailbox) ?? 1) - 1);
      },
    };
  }

  /** On acceptance: a message beyond the mailbox's rate is refused, with the wait until a slot frees. */
  accept(mailbox: string, now: number): LimitVerdict {
    const windowStart = now - this.options.windowMs;
    const times = (this.accepted.get(mailbox) ?? []).filter((t) => t > windowStart);
    if (times.length >= this.options.messagesPerWindow) {
      this.accepted.set(mailbox, times);
      this.rejections += 1;
      const retryAfterSeconds = Math.max(1, Math.ceil(((times[0] ?? now) + this.options.windowMs - now) / 1000));
      return {
        ok: false,
        code: 'ApplicationThrottled',
        message: `Mailbox send rate exceeded: at most ${this.options.messagesPerWindow} messages per ${this.options.windowMs / 1000} s for this mailbox.`,
        retryAfterSeconds,
      };
    }
    times.push(now);
    this.accepted.set(mailbox, times);
    return { ok: true, release: () => {} };
  }

  reset(): void {
    this.accepted.clear();
    this.rejections = 0;
  }
}
