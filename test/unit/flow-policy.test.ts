// The per-mailbox limits and the pure decisions around them: Exchange's defaults, the spacing between sends, and whose 429 it is.
import { ARRIVAL_JITTER_MS, EXCHANGE_LIMITS, sendIntervalMs, throttleScope } from '../../src/flow/flow-policy';

describe('Exchange Online defaults', () => {
  it('are 30 messages a minute, 4 concurrent sends, 20 throttle deferrals, a tenant pause after 3 mailboxes, no daily cap', () => {
    expect(EXCHANGE_LIMITS).toEqual({
      messagesPerWindow: 30,
      windowMs: 60_000,
      concurrentSends: 4,
      recipientsPerDay: 0,
      maxThrottleDeferrals: 20,
      tenantPauseAfterMailboxes: 3,
    });
  });
});

describe('sendIntervalMs', () => {
  it('spaces 30 a minute one every (60 s + jitter) / 30', () => {
    expect(sendIntervalMs(EXCHANGE_LIMITS)).toBeCloseTo((60_000 + ARRIVAL_JITTER_MS) / 30, 9);
    expect(sendIntervalMs({ messagesPerWindow: 10, windowMs: 1000 })).toBeCloseTo(110, 9);
  });

  it('never lets a whole window hold more sends than allowed, even with the last one on time and the first one late', () => {
    const limits = { messagesPerWindow: 30, windowMs: 60_000 };
    const interval = sendIntervalMs(limits);
    // Planned send times 0, interval, 2·interval…: the first arrives ARRIVAL_JITTER_MS late, the 31st on time.
    const firstArrival = ARRIVAL_JITTER_MS;
    const thirtyFirstArrival = interval * limits.messagesPerWindow;
    expect(thirtyFirstArrival - firstArrival).toBeGreaterThanOrEqual(limits.windowMs);
    // …and no slower than that allowance needs: mail is not held back for nothing.
    expect(interval * limits.messagesPerWindow).toBeLessThan(limits.windowMs + 2 * ARRIVAL_JITTER_MS);
  });
});

describe('throttleScope', () => {
  it('a 429 whose code names the mailbox pauses that mailbox, whatever its message says', () => {
    expect(throttleScope({ code: 'MailboxConcurrency' })).toBe('mailbox');
    expect(throttleScope({ code: 'MailboxConcurrency', detail: 'Too many requests.' })).toBe('mailbox');
  });

  it('a 429 whose message names the mailbox pauses that mailbox, whatever its code', () => {
    expect(throttleScope({ detail: 'Application is over its MailboxConcurrency limit.' })).toBe('mailbox');
    expect(throttleScope({ code: 'ApplicationThrottled', detail: 'The mailbox is over its limit.' })).toBe('mailbox');
  });

  it('matches "mailbox" in any case', () => {
    expect(throttleScope({ code: 'MAILBOXCONCURRENCY' })).toBe('mailbox');
    expect(throttleScope({ detail: 'mailbox busy' })).toBe('mailbox');
  });

  it('any other 429, or one that says nothing, is about the app and pauses the tenant', () => {
    expect(throttleScope({ code: 'ApplicationThrottled', detail: 'Application is over its request limit.' })).toBe('tenant');
    expect(throttleScope({ code: 'TooManyRequests' })).toBe('tenant');
    expect(throttleScope({ detail: 'Rate limit exceeded.' })).toBe('tenant');
    expect(throttleScope({})).toBe('tenant');
  });
});
