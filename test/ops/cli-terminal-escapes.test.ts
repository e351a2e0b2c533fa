// The ops CLI never hands a terminal the control characters it found in job data or delivery records:
// a subject holding OSC 52 (write the clipboard) or a screen clear is printed escaped, not executed.
import { MemoryDeliveryStore } from '../../src/delivery/memory-delivery-store';
import { escapeControlCharacters } from '../../src/ops/cli/terminal-text';
import { sampleEmail } from '../support/test-pipeline';
import { runCli } from './support/run-cli';
import { seedJobs, type SeededQueue } from './support/seed-failed-jobs';

const OSC52 = '\u001b]52;c;ZWNobyBvd25lZA==\u0007';
const CLEAR = '\u001b[2J\u001b[H';
const C1_CSI = '\u009b31m';
const HOSTILE_SUBJECT = `Invoice ${OSC52}${CLEAR} 1042\r\nCategory: fake`;
const HOSTILE_VALUE = `SO-1${C1_CSI}\u0008\u0008`;
/** Any C0 control except the newline, DEL, or any C1 control. */
// eslint-disable-next-line no-control-regex -- the test looks for control characters
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let seeded: SeededQueue;
const deliveries = new MemoryDeliveryStore();

beforeAll(async () => {
  const email = sampleEmail({ subject: HOSTILE_SUBJECT, correlation: { orderId: HOSTILE_VALUE }, idempotencyKey: `key${CLEAR}` });
  seeded = await seedJobs([
    {
      id: 'h1',
      email,
      failure: { category: 'policy-denied', reason: `Sender ${OSC52}x@contoso.example is blocked.\nAsk IT ${CLEAR}to fix it.` },
    },
  ]);
  await deliveries.startAttempt({
    jobId: 'h1',
    accountId: `acc-1${C1_CSI}`,
    subject: HOSTILE_SUBJECT,
    recipientCount: 1,
    correlation: { orderId: HOSTILE_VALUE },
    idempotencyKey: `key${CLEAR}`,
    status: 'sending',
    now: new Date(),
  });
  await deliveries.finishAttempt('h1', {
    status: 'failed',
    error: { category: 'policy-denied', reason: `Sender ${OSC52} blocked` },
    sender: `x${OSC52}@contoso.example`,
    senderSource: 'account',
    now: new Date(),
  });
});
afterAll(() => seeded.close());

const cli = (argv: string[]) => runCli(argv, { queue: seeded.queue, deliveries });

describe('escapeControlCharacters', () => {
  it('shows C0, DEL and C1 controls as visible escapes and leaves other text alone', () => {
    expect(escapeControlCharacters(`a${OSC52}b`)).toBe('a\\x1b]52;c;ZWNobyBvd25lZA==\\x07b');
    expect(escapeControlCharacters(`${C1_CSI}\u007f\r\n\t`)).toBe('\\x9b31m\\x7f\\r\\n\\t');
    expect(escapeControlCharacters('Grüße, 請求書 €', {})).toBe('Grüße, 請求書 €');
    expect(escapeControlCharacters('line one\nline two', { keepNewlines: true })).toBe('line one\nline two');
  });

  it('escapes bidirectional overrides, which reorder what the terminal shows', () => {
    expect(escapeControlCharacters('invoice\u202Efdp.exe')).toBe('invoice\\u202efdp.exe');
  });
});

describe('human output of the ops CLI', () => {
  it.each([
    ['failed list', ['failed', 'list']],
    ['failed show', ['failed', 'show', 'h1']],
    ['delivery find', ['delivery', 'find', '--job', 'h1']],
    ['retry', ['retry', 'h1', '--dry-run', '--force']],
  ])('%s prints no raw control character, and shows them escaped', async (_name, argv) => {
    const run = await cli(argv);
    expect(run.stdout.length).toBeGreaterThan(0);
    expect(run.stdout).not.toMatch(RAW_CONTROL);
    expect(run.stderr).not.toMatch(RAW_CONTROL);
  });

  it('failed show names the subject and correlation with their controls made visible, on one line', async () => {
    const run = await cli(['failed', 'show', 'h1']);
    expect(run.stdout).toContain('subject "Invoice \\x1b]52;c;ZWNobyBvd25lZA==\\x07\\x1b[2J\\x1b[H 1042\\r\\nCategory: fake"');
    expect(run.stdout).toContain('orderId=SO-1\\x9b31m\\x08\\x08');
    expect(run.stdout).not.toMatch(/^Category: fake/m);
  });

  it('JSON output keeps the exact values, with every control character escaped by JSON', async () => {
    const run = await cli(['failed', 'show', 'h1', '--json']);
    expect(run.stdout).not.toMatch(RAW_CONTROL);
    expect(run.json()).toMatchObject({ job: { email: { subject: HOSTILE_SUBJECT, correlation: { orderId: HOSTILE_VALUE } } } });
  });
});
