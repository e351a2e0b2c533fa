// Reading failedReason back, the retry advice per category, the job summary and CLI durations: pure functions.
import { FAILURE_CATEGORIES, describeFailure, parseFailedReason } from '@omikai/graph-mailer-client';
import { attemptMessages } from '../../src/ops/cli/failed-jobs';
import { formatAgo, parseDurationMs } from '../../src/ops/duration';
import { summarizeEmailJob } from '../../src/ops/job-summary';
import { adviseRetry, retryHint } from '../../src/ops/retry-advice';

describe('parseFailedReason', () => {
  it('reads back what describeFailure wrote, runbook link and request-id apart', () => {
    const text = describeFailure({
      category: 'policy-denied',
      reason: 'Sender x is blocked (Graph: "Access to OData is disabled.").\nAsk IT.',
      graphRequestId: 'abc-123',
    });
    expect(parseFailedReason(text)).toEqual({
      category: 'policy-denied',
      reason: 'Sender x is blocked (Graph: "Access to OData is disabled.").\nAsk IT.',
      runbook: 'docs/runbook.md#policy-denied',
      graphRequestId: 'abc-123',
    });
    expect(parseFailedReason('[throttled] Slow down.')).toEqual({ category: 'throttled', reason: 'Slow down.' });
  });

  it('treats anything else as unknown, keeping the text', () => {
    expect(parseFailedReason('job stalled more than allowable limit')).toEqual({
      category: 'unknown',
      reason: 'job stalled more than allowable limit',
    });
    expect(parseFailedReason('[bounced] nope')).toMatchObject({ category: 'unknown' });
    expect(parseFailedReason(undefined)).toEqual({ category: 'unknown', reason: '(no reason recorded)' });
  });

  it('turns BullMQ stack traces into attempt messages, newest first', () => {
    expect(attemptMessages(['RetryLaterError: first\n    at x', 'UnrecoverableError: [transient] last\n    at y'])).toEqual([
      '[transient] last',
      'first',
    ]);
  });
});

describe('retry advice', () => {
  it('retryable categories may be retried; permanent ones and unknown outcomes need --force with a reason', () => {
    const free = FAILURE_CATEGORIES.filter((category) => retryHint(category) === 'yes');
    expect(free).toEqual(['throttled', 'transient']);
    for (const category of FAILURE_CATEGORIES.filter((c) => !free.includes(c))) {
      const advice = adviseRetry(category, false);
      expect(advice).toEqual({ retry: false, needsForce: true, why: expect.stringMatching(/.{30,}/) });
      expect(adviseRetry(category, true)).toEqual({ retry: true });
    }
    expect(adviseRetry('unknown-outcome', false)).toMatchObject({ why: expect.stringContaining('second copy') });
  });
});

describe('summarizeEmailJob', () => {
  it('keeps only counts and identifiers, whatever the data holds', () => {
    expect(
      summarizeEmailJob({
        accountId: 'acc-1',
        subject: 'Invoice',
        to: [{ address: 'a@x' }],
        cc: [{ address: 'b@x' }],
        html: 'BODY',
        attachments: [{ contentBase64: 'QUJD' }],
        headers: { 'x-secret': 'h' },
        correlation: { documentId: '1', nested: { no: 'objects' } },
      }),
    ).toEqual({
      accountId: 'acc-1',
      subject: 'Invoice',
      recipientCount: 2,
      attachmentCount: 1,
      attachments: [{ name: '?', contentType: '?', bytes: 3 }],
      correlation: { documentId: '1' },
    });
    expect(summarizeEmailJob('raw text')).toEqual({ recipientCount: 0, attachmentCount: 0, unreadable: true });
  });
});

describe('durations', () => {
  it('reads 90s, 15m, 1h, 2d and refuses the rest', () => {
    expect([parseDurationMs('90s'), parseDurationMs('15m'), parseDurationMs('1h'), parseDurationMs('2d')]).toEqual([
      90_000, 900_000, 3_600_000, 172_800_000,
    ]);
    expect(() => parseDurationMs('1 week')).toThrow('is not a duration');
  });

  it('says how long ago in the largest sensible unit', () => {
    expect([formatAgo(0, 30_000), formatAgo(0, 10 * 60_000), formatAgo(0, 5 * 3_600_000), formatAgo(0, 3 * 86_400_000)]).toEqual([
      '30 s ago',
      '10 min ago',
      '5 h ago',
      '3 d ago',
    ]);
  });
});
