// The failedReason text round-trips: what describeFailure writes for any category and reason,
// parseFailedReason reads back; and the reasons earlier versions left in Redis still read.
import fc from 'fast-check';
import {
  FAILURE_CATEGORIES,
  MAX_FAILED_REASON_CHARS,
  RUNBOOK_SECTIONS,
  clipText,
  describeFailure,
  parseFailedReason,
  type FailureCategory,
} from '@omikai/graph-mailer-client';

const category = fc.constantFrom(...FAILURE_CATEGORIES);
/** Text people and Graph write, plus the characters the format itself uses. */
const piece = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom(
    '[',
    ']',
    '[transient]',
    '(',
    ')',
    '\n',
    '\r\n',
    '\t',
    ' ',
    'Runbook:',
    'request-id',
    '…',
    'é',
    '日本語',
    '🙂',
    'e\u0301',
  ),
);
/** What the send path writes: never empty, never padded with whitespace. */
const reason = fc
  .array(piece, { minLength: 1, maxLength: 40 })
  .map((pieces) => pieces.join(''))
  .filter((text) => text.length > 0 && text.trim() === text);
const requestId = fc.option(fc.uuid(), { nil: undefined });

describe('the failedReason text', () => {
  it('reads back every category, reason and request-id it was written with (reasons that fit)', () => {
    fc.assert(
      fc.property(category, reason, requestId, (cat, text, graphRequestId) => {
        const written = describeFailure({ category: cat, reason: text, ...(graphRequestId ? { graphRequestId } : {}) });
        fc.pre(written.length <= MAX_FAILED_REASON_CHARS);
        expect(parseFailedReason(written)).toEqual({
          category: cat,
          reason: text,
          ...(RUNBOOK_SECTIONS[cat] ? { runbook: RUNBOOK_SECTIONS[cat] } : {}),
          ...(graphRequestId ? { graphRequestId } : {}),
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the category, runbook link and request-id of a reason cut to fit, and reads the cut reason back', () => {
    fc.assert(
      fc.property(category, reason, fc.uuid(), (cat, text, graphRequestId) => {
        const long = `${text} ${'word '.repeat(100)}${text}`;
        const written = describeFailure({ category: cat, reason: long, graphRequestId });
        expect(written.length).toBeLessThanOrEqual(MAX_FAILED_REASON_CHARS);
        const parsed = parseFailedReason(written);
        expect(parsed).toMatchObject({ category: cat, graphRequestId });
        expect(parsed.runbook).toBe(RUNBOOK_SECTIONS[cat]);
        expect(parsed.reason.endsWith('…')).toBe(true);
        // The start of the reason, on one line (clipText flattens whitespace).
        expect(clipText(long, Infinity).startsWith(parsed.reason.slice(0, -1))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('covers every category of the one list', () => {
    const seen = new Set<FailureCategory>();
    for (const cat of FAILURE_CATEGORIES) seen.add(parseFailedReason(describeFailure({ category: cat, reason: 'x' })).category);
    expect([...seen]).toEqual([...FAILURE_CATEGORIES]);
  });

  it.each([
    // Written before reasons carried a runbook link (and could be longer than 400 characters).
    [
      `[policy-denied] Sender info@contoso.com is blocked by an Exchange application access policy; ${'ask IT to add it to the allowed group. '.repeat(12).trim()} (Graph request-id 0f3c9a52-1b2d-4e5f-8a9b-0c1d2e3f4a5b)`,
      { category: 'policy-denied', graphRequestId: '0f3c9a52-1b2d-4e5f-8a9b-0c1d2e3f4a5b' },
    ],
    ['[transient] Graph answered 503 Service Unavailable.', { category: 'transient', reason: 'Graph answered 503 Service Unavailable.' }],
    [
      '[settings] The account has no sender address.\nFix: set it under Settings.',
      { category: 'settings', reason: 'The account has no sender address.\nFix: set it under Settings.' },
    ],
    // BullMQ's own reasons and crashes outside the send path.
    ['job stalled more than allowable limit', { category: 'unknown', reason: 'job stalled more than allowable limit' }],
    ['Missing lock for job 42. moveToFinished', { category: 'unknown', reason: 'Missing lock for job 42. moveToFinished' }],
  ])('reads a reason already in Redis: %s', (text, expected) => {
    expect(parseFailedReason(text)).toMatchObject(expected);
  });
});
