// Removes payloads of finished e-mails in batches: one removal per batch instead of one per e-mail
// keeps the send path's throughput. A batch lost in a crash is left to the sweeper (orphans).
import type { Logger } from 'pino';
import { toError, type PayloadWriter } from '@omikai/graph-mailer-client';

export class BatchedPayloadRemover {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly payloads: Pick<PayloadWriter, 'remove'>,
    private readonly logger: Logger,
    private readonly options: { maxBatch: number; maxDelayMs: number } = { maxBatch: 200, maxDelayMs: 50 },
  ) {}

  removeLater(id: string): void {
    this.pending.push(id);
    if (this.pending.length >= this.options.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.maxDelayMs);
  }

  /** Removes what is pending; resolves when every batch started so far is done. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const ids = this.pending;
    this.pending = [];
    if (ids.length > 0) {
      this.flushing = this.flushing.then(() =>
        this.payloads
          .remove(ids)
          .catch((err: unknown) =>
            this.logger.warn(
              { payloads: ids.length, err: toError(err).message },
              'could not remove sent content; the sweeper removes it later',
            ),
          ),
      );
    }
    return this.flushing;
  }
}
