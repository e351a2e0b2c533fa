import { decideRetry, type RetryPolicy } from '../../src/sending/retry-policy';
import type { Failure } from '@omikai/graph-mailer-client';

const policy: RetryPolicy = { baseDelayMs: 1000, maxDelayMs: 60_000, outcomeUnknown: 'retry' };
const throttled: Failure = { category: 'throttled', reason: 'slow down', retryAfterMs: 2000 };

describe('decideRetry', () => {
  it('waits exactly Retry-After when jitter is zero, and never less', () => {
    expect(decideRetry(throttled, policy, { attempt: 1, maxAttempts: 5, random: 0 })).toEqual({ action: 'retry', delayMs: 2000 });
    expect(decideRetry(throttled, policy, { attempt: 1, maxAttempts: 5, random: 0.999 })).toEqual({ action: 'retry', delayMs: 2200 });
  });

  it('caps the jitter added to a long Retry-After at one second', () => {
    const decision = decideRetry({ ...throttled, retryAfterMs: 120_000 }, policy, { attempt: 1, maxAttempts: 5, random: 0.999 });
    expect(decision).toEqual({ action: 'retry', delayMs: 120_999 });
  });

  it('backs off exponentially between half and all of the ceiling when there is no Retry-After', () => {
    const transient: Failure = { category: 'transient', reason: '503' };
    expect(decideRetry(transient, policy, { attempt: 1, maxAttempts: 9, random: 0 })).toEqual({ action: 'retry', delayMs: 500 });
    expect(decideRetry(transient, policy, { attempt: 3, maxAttempts: 9, random: 0.999 })).toEqual({ action: 'retry', delayMs: 3998 });
    expect(decideRetry(transient, policy, { attempt: 8, maxAttempts: 9, random: 0.5 })).toEqual({ action: 'retry', delayMs: 45_000 });
  });

  it('fails permanent categories at once, with the original reason', () => {
    const denied: Failure = { category: 'policy-denied', reason: 'blocked' };
    expect(decideRetry(denied, policy, { attempt: 1, maxAttempts: 10, random: 0 })).toEqual({ action: 'fail', failure: denied });
  });

  it('gives up on the last attempt and says how many were made', () => {
    const decision = decideRetry({ category: 'transient', reason: 'Graph had a problem.' }, policy, {
      attempt: 4,
      maxAttempts: 4,
      random: 0,
    });
    expect(decision).toMatchObject({
      action: 'fail',
      failure: { category: 'transient', reason: 'Gave up after 4 attempts: Graph had a problem.' },
    });
  });

  it('retries an unknown outcome by default and fails it for a person to decide when configured', () => {
    const unknown: Failure = { category: 'unknown-outcome', reason: 'No answer.' };
    expect(decideRetry(unknown, policy, { attempt: 1, maxAttempts: 5, random: 0 }).action).toBe('retry');
    const decision = decideRetry(unknown, { ...policy, outcomeUnknown: 'fail' }, { attempt: 1, maxAttempts: 5, random: 0 });
    expect(decision.action).toBe('fail');
    expect(decision.action === 'fail' && decision.failure.reason).toMatch(/Not retried, to avoid a duplicate/);
  });
});

describe('decideRetry with flow control', () => {
  const flowPolicy: RetryPolicy = { ...policy, maxThrottleDeferrals: 3 };

  it('defers a throttled job for the pause without using an attempt', () => {
    expect(
      decideRetry(throttled, flowPolicy, { attempt: 5, maxAttempts: 5, random: 0, throttlePause: { waitMs: 2000, deferrals: 1 } }),
    ).toEqual({
      action: 'defer',
      delayMs: 2000,
    });
  });

  it('fails with a clear reason once the deferrals exceed the bound', () => {
    const decision = decideRetry(throttled, flowPolicy, {
      attempt: 1,
      maxAttempts: 5,
      random: 0,
      throttlePause: { waitMs: 2000, deferrals: 4 },
    });
    expect(decision.action).toBe('fail');
    expect(decision.action === 'fail' && decision.failure.reason).toMatch(/^Graph kept throttling this sender: deferred 3 times/);
  });

  it('still retries other transient failures with attempts', () => {
    expect(decideRetry({ category: 'transient', reason: 'x' }, flowPolicy, { attempt: 1, maxAttempts: 5, random: 0 })).toEqual({
      action: 'retry',
      delayMs: 500,
    });
  });
});

describe('decideRetry at its edges', () => {
  const flowPolicy: RetryPolicy = { ...policy, maxThrottleDeferrals: 3 };

  it('says "1 attempt", not "1 attempts", when a job allowed one attempt gives up', () => {
    const decision = decideRetry({ category: 'transient', reason: 'Graph had a problem.' }, policy, {
      attempt: 1,
      maxAttempts: 1,
      random: 0,
    });
    expect(decision).toEqual({
      action: 'fail',
      failure: { category: 'transient', reason: 'Gave up after 1 attempt: Graph had a problem.' },
    });
  });

  it('defers exactly as many times as allowed and fails only the next one', () => {
    const at = (deferrals: number) =>
      decideRetry(throttled, flowPolicy, { attempt: 1, maxAttempts: 5, random: 0, throttlePause: { waitMs: 2000, deferrals } }).action;
    expect(at(3)).toBe('defer');
    expect(at(4)).toBe('fail');
  });

  it('names the last throttle in the reason of a job that kept being throttled', () => {
    const decision = decideRetry(throttled, flowPolicy, {
      attempt: 1,
      maxAttempts: 5,
      random: 0,
      throttlePause: { waitMs: 2000, deferrals: 9 },
    });
    expect(decision).toEqual({
      action: 'fail',
      failure: {
        ...throttled,
        reason:
          'Graph kept throttling this sender: deferred 3 times without success (FLOW_MAX_THROTTLE_DEFERRALS). ' +
          "Check the mailbox's sending limits, then retry the job. Last: slow down",
      },
    });
  });

  it('adds up to 10 % of the pause as jitter to a deferral, at most one second', () => {
    const defer = (waitMs: number, random: number) =>
      decideRetry(throttled, flowPolicy, { attempt: 1, maxAttempts: 5, random, throttlePause: { waitMs, deferrals: 1 } });
    expect(defer(2000, 0.5)).toEqual({ action: 'defer', delayMs: 2100 });
    expect(defer(60_000, 0.5)).toEqual({ action: 'defer', delayMs: 60_500 });
  });

  it('uses attempts, not deferrals, for a throttle when flow control did not pause the mailbox', () => {
    expect(decideRetry(throttled, flowPolicy, { attempt: 1, maxAttempts: 5, random: 0 })).toEqual({ action: 'retry', delayMs: 2000 });
    expect(
      decideRetry(throttled, policy, { attempt: 1, maxAttempts: 5, random: 0, throttlePause: { waitMs: 9000, deferrals: 99 } }),
    ).toEqual({ action: 'retry', delayMs: 2000 });
  });

  it('tells a person how to check for a duplicate before retrying an unknown outcome by hand', () => {
    const decision = decideRetry(
      { category: 'unknown-outcome', reason: 'No answer.' },
      { ...policy, outcomeUnknown: 'fail' },
      {
        attempt: 1,
        maxAttempts: 5,
        random: 0,
      },
    );
    expect(decision).toEqual({
      action: 'fail',
      failure: {
        category: 'unknown-outcome',
        reason:
          "No answer. Not retried, to avoid a duplicate (OUTCOME_UNKNOWN_POLICY=fail): check the sender's Sent Items " +
          'or ask the recipient, and retry the job only if the e-mail did not arrive.',
      },
    });
  });

  it('fails the other categories whatever the unknown-outcome policy', () => {
    const transient: Failure = { category: 'transient', reason: '503' };
    expect(decideRetry(transient, { ...policy, outcomeUnknown: 'fail' }, { attempt: 1, maxAttempts: 5, random: 0 })).toEqual({
      action: 'retry',
      delayMs: 500,
    });
  });
});
