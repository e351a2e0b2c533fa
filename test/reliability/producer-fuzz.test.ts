// Property-based: whatever the ERP passes, validation either accepts it or throws its own
// EmailJobValidationError naming fields — never a TypeError, never a crash.
import fc from 'fast-check';
import { EmailJobValidationError, parseEmailJob, type EmailJobInput, prepareEmailJob } from '@omikai/graph-mailer-client';

const now = Date.parse('2026-11-26T10:00:00Z');

function onlyValidationErrors(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (err: unknown) {
    if (!(err instanceof EmailJobValidationError)) throw err;
    return err.problems.length > 0 && err.problems.every((p) => typeof p.path === 'string' && p.message.length > 0);
  }
}

const address = fc.record(
  { address: fc.oneof(fc.emailAddress(), fc.string()), name: fc.option(fc.string(), { nil: undefined }) },
  { requiredKeys: ['address'] },
);
const nearlyValid: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    accountId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    userId: fc.option(fc.string(), { nil: undefined }),
    to: fc.oneof(fc.array(address, { maxLength: 3 }), fc.string(), fc.constant(null)),
    cc: fc.array(address, { maxLength: 2 }),
    subject: fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.integer()),
    html: fc.option(fc.oneof(fc.string(), fc.string({ unit: 'binary' })), { nil: undefined }),
    text: fc.option(fc.string(), { nil: undefined }),
    importance: fc.oneof(fc.constantFrom('low', 'normal', 'high'), fc.string()),
    headers: fc.dictionary(fc.oneof(fc.string(), fc.constant('x-ok')), fc.string(), { maxKeys: 7 }),
    attachments: fc.array(
      fc.record({ name: fc.string(), contentType: fc.string(), contentBase64: fc.oneof(fc.base64String(), fc.string()) }),
      { maxLength: 2 },
    ),
    saveToSentItems: fc.oneof(fc.boolean(), fc.string()),
    idempotencyKey: fc.option(fc.string(), { nil: undefined }),
    correlation: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer()), { maxKeys: 12 }),
    sendAt: fc.option(
      fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.string(),
      ),
      { nil: undefined },
    ),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('producer-side validation', () => {
  it('never throws anything but EmailJobValidationError, for any value at all', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => onlyValidationErrors(() => prepareEmailJob(input as EmailJobInput, now))),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but EmailJobValidationError for nearly valid e-mails', () => {
    fc.assert(
      fc.property(nearlyValid, (input) => onlyValidationErrors(() => prepareEmailJob(input as EmailJobInput, now))),
      { numRuns: 3000 },
    );
  });

  it('accepts every well-formed e-mail and keeps its fields', () => {
    const valid = fc.record({
      accountId: fc.string({ minLength: 1, maxLength: 20 }),
      to: fc.array(fc.record({ address: fc.emailAddress() }), { minLength: 1, maxLength: 5 }),
      subject: fc.string({ maxLength: 100 }).filter((s) => !s.includes('\uFFFD')),
      text: fc.string({ maxLength: 200 }).filter((s) => !s.includes('\uFFFD')),
    });
    fc.assert(
      fc.property(valid, (input) => {
        const { data } = prepareEmailJob(input, now);
        return data.subject === input.subject && data.to?.length === input.to.length && data.saveToSentItems === true;
      }),
      { numRuns: 500 },
    );
  });

  it('the worker-side parse of stored data has the same property', () => {
    fc.assert(
      fc.property(fc.anything(), (data) => onlyValidationErrors(() => parseEmailJob(data))),
      { numRuns: 2000 },
    );
  });
});
