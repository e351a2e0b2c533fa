// The one place that decides whether a failed attempt is retried, and after how long.
import { RETRYABLE_CATEGORIES, type Failure } from '@omikai/graph-mailer-client';

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** What to do when Graph may have sent the e-mail but did not say so (504, timeout, reset). */
  outcomeUnknown: 'retry' | 'fail';
  /** With flow control, a throttled job waits without using an attempt, at most this many times. */
  maxThrottleDeferrals?: number;
}

export type RetryDecision =
  | { action: 'retry'; delayMs: number }
  /** Wait without using an attempt (flow control has paused the mailbox). */
  | { action: 'defer'; delayMs: number }
  | { action: 'fail'; failure: Failure };

export interface AttemptContext {
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** A number in [0, 1), injected so tests are exact. */
  random: number;
  /** Set when flow control paused the mailbox after this throttle: how long, and how often this job was deferred. */
  throttlePause?: { waitMs: number; deferrals: number };
}

/**
 * Exponential backoff with jitter: a delay between half and all of `baseMs` doubled per step
 * (step 1 is `baseMs`), at most `maxMs`. `random` in [0, 1) is injected so tests are exact.
 */
export function backoffDelayMs(step: number, { baseMs, maxMs }: { baseMs: number; maxMs: number }, random: number): number {
  const ceilingMs = Math.min(maxMs, baseMs * 2 ** (step - 1));
  return Math.round(ceilingMs / 2 + (ceilingMs / 2) * random);
}

/** A wait the server asked for, plus up to 10 % (at most 1 s), so a crowd of jobs does not return at the same instant. */
function spreadWaitMs(waitMs: number, random: number): number {
  return Math.round(waitMs + Math.min(waitMs * 0.1, 1000) * random);
}

/**
 * Retry-After is honoured as given (plus up to 10% jitter, at most 1 s, so a crowd of jobs does
 * not return at the same instant); without it the delay doubles per attempt, with jitter.
 */
export function decideRetry(
  failure: Failure,
  policy: RetryPolicy,
  { attempt, maxAttempts, random, throttlePause }: AttemptContext,
): RetryDecision {
  if (!RETRYABLE_CATEGORIES.has(failure.category)) return { action: 'fail', failure };
  if (failure.category === 'throttled' && throttlePause && policy.maxThrottleDeferrals !== undefined) {
    if (throttlePause.deferrals > policy.maxThrottleDeferrals) {
      return {
        action: 'fail',
        failure: {
          ...failure,
          reason:
            `Graph kept throttling this sender: deferred ${policy.maxThrottleDeferrals} times without success (FLOW_MAX_THROTTLE_DEFERRALS). ` +
            `Check the mailbox's sending limits, then retry the job. Last: ${failure.reason}`,
        },
      };
    }
    return { action: 'defer', delayMs: spreadWaitMs(throttlePause.waitMs, random) };
  }
  if (failure.category === 'unknown-outcome' && policy.outcomeUnknown === 'fail') {
    return {
      action: 'fail',
      failure: {
        ...failure,
        reason:
          `${failure.reason} Not retried, to avoid a duplicate (OUTCOME_UNKNOWN_POLICY=fail): check the sender's Sent Items ` +
          'or ask the recipient, and retry the job only if the e-mail did not arrive.',
      },
    };
  }
  if (attempt >= maxAttempts) {
    return {
      action: 'fail',
      failure: { ...failure, reason: `Gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${failure.reason}` },
    };
  }
  if (failure.retryAfterMs !== undefined) {
    return { action: 'retry', delayMs: spreadWaitMs(failure.retryAfterMs, random) };
  }
  return { action: 'retry', delayMs: backoffDelayMs(attempt, { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs }, random) };
}
