// Per-mailbox limits and the pure decisions around them: spacing between sends, and whether a 429
// names one mailbox or the whole app.
import type { Failure } from '@omikai/graph-mailer-client';

export interface MailboxLimits {
  /** Messages per window per mailbox; Exchange Online allows 30 a minute. */
  messagesPerWindow: number;
  windowMs: number;
  /** Graph allows 4 concurrent requests per app and mailbox. */
  concurrentSends: number;
  /** Recipients per rolling 24 h (Exchange: 10,000); 0 switches the check off. */
  recipientsPerDay: number;
  /** A job deferred by 429s this many times fails, so nothing loops forever. */
  maxThrottleDeferrals: number;
  /** Distinct mailboxes of one tenant throttled within a minute that pause the whole tenant. */
  tenantPauseAfterMailboxes: number;
}

export const EXCHANGE_LIMITS: MailboxLimits = {
  messagesPerWindow: 30,
  windowMs: 60_000,
  concurrentSends: 4,
  recipientsPerDay: 0,
  maxThrottleDeferrals: 20,
  tenantPauseAfterMailboxes: 3,
};

/** How much later than planned a send may reach Graph (event loop, network); spacing leaves room for it. */
export const ARRIVAL_JITTER_MS = 100;

/**
 * Sends are spaced evenly, so no window is ever overfilled: 30 a minute means one every 2.0033 s.
 * The jitter allowance keeps a late first send and an on-time last one inside Exchange's window.
 */
export function sendIntervalMs(limits: Pick<MailboxLimits, 'messagesPerWindow' | 'windowMs'>): number {
  return (limits.windowMs + ARRIVAL_JITTER_MS) / limits.messagesPerWindow;
}

/**
 * A 429 about one mailbox (MailboxConcurrency, or a message naming the mailbox) pauses that
 * mailbox; any other throttle is taken to be about the app, and pauses the tenant.
 */
export function throttleScope(failure: Pick<Failure, 'code' | 'detail'>): 'mailbox' | 'tenant' {
  const namesMailbox = (text: string | undefined) => text?.toLowerCase().includes('mailbox') === true;
  return namesMailbox(failure.code) || namesMailbox(failure.detail) ? 'mailbox' : 'tenant';
}
