// The simulator's Exchange limits: a sliding window of accepted messages and a concurrency cap.
import { MailboxLimiter } from '../../tools/graph-simulator/mailbox-limits';

describe('MailboxLimiter', () => {
  it('refuses the message beyond the window with the seconds until the oldest one leaves it', () => {
    const limiter = new MailboxLimiter({ messagesPerWindow: 2, windowMs: 10_000, concurrentRequests: 4 });
    expect(limiter.accept('a@x', 1_000).ok).toBe(true);
    expect(limiter.accept('a@x', 2_000).ok).toBe(true);
    expect(limiter.accept('a@x', 3_000)).toMatchObject({ ok: false, code: 'ApplicationThrottled', retryAfterSeconds: 8 });
    expect(limiter.accept('b@x', 3_000).ok).toBe(true);
    expect(limiter.accept('a@x', 11_001).ok).toBe(true);
    expect(limiter.rejections).toBe(1);
  });

  it('refuses a request beyond the concurrency until one is released, naming MailboxConcurrency', () => {
    const limiter = new MailboxLimiter({ messagesPerWindow: 100, windowMs: 1000, concurrentRequests: 1 });
    const first = limiter.enter('a@x');
    expect(first.ok).toBe(true);
    expect(limiter.enter('a@x')).toMatchObject({ ok: false, message: 'Application is over its MailboxConcurrency limit.' });
    if (first.ok) first.release();
    expect(limiter.enter('a@x').ok).toBe(true);
  });
});
