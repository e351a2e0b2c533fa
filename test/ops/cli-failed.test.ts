// `ops failed list` and `ops failed show` against real Redis with seeded failed jobs.
import { SECRET_ATTACHMENT_TEXT, SECRET_BODY, SECRET_RECIPIENT } from './support/seed-failed-jobs';
import { POLICY, POLICY_APP_ID, seedScenario, type Scenario } from './support/seed-scenario';
import { runCli } from './support/run-cli';

let scenario: Scenario;
beforeAll(async () => {
  scenario = await seedScenario();
});
afterAll(() => scenario.close());

const cli = (argv: string[], now?: number) =>
  runCli(argv, { queue: scenario.queue, deliveries: scenario.deliveries, ...(now ? { now } : {}) });

describe('ops failed list', () => {
  it('groups failed e-mails by category with counts, largest group first', async () => {
    const run = await cli(['failed', 'list', '--json']);
    expect(run.code).toBe(0);
    const listing = run.json() as {
      total: number;
      groups: { category: string; count: number; retry: string; reasons: { count: number; jobIds: string[] }[] }[];
    };
    expect(listing.total).toBe(7);
    expect(listing.groups.map((g) => [g.category, g.count, g.retry])).toEqual([
      ['policy-denied', 2, '--force'],
      ['throttled', 2, 'yes'],
      ['transient', 2, 'yes'],
      ['invalid-recipient', 1, '--force'],
    ]);
    expect(listing.groups[0]?.reasons).toEqual([expect.objectContaining({ count: 2, jobIds: expect.arrayContaining(['p1', 'p2']) })]);
  });

  it('prints the groups for people, with the reason without its request-id and what to do next', async () => {
    const run = await cli(['failed', 'list']);
    expect(run.stdout).toContain(`7 failed e-mails in queue ${scenario.queue.name}.`);
    expect(run.stdout).toMatch(/policy-denied {2}2 {2}\(retry needs --force, newest \d+ s ago\)/);
    expect(run.stdout).toContain('2× Sender blocked@contoso.example is blocked by an Exchange application access policy');
    expect(run.stdout).not.toContain('req-policy-1');
    expect(run.stdout).toContain('Next: ops failed show <jobId>');
    expect(run.stdout).toMatch(/policy-denied .*\n {2}Steps: docs\/runbook\.md#policy-denied\n/);
  });

  it('narrows to categories and to failures since a time', async () => {
    const throttled = (await cli(['failed', 'list', '--category', 'throttled', '--json'])).json();
    expect(throttled).toMatchObject({ total: 2, groups: [{ category: 'throttled', count: 2 }] });
    const twoHoursLater = Date.now() + 2 * 3_600_000;
    expect((await cli(['failed', 'list', '--since', '1h', '--json'], twoHoursLater)).json()).toMatchObject({ total: 0, since: '1h' });
    expect((await cli(['failed', 'list', '--since', '3h', '--json'], twoHoursLater)).json()).toMatchObject({ total: 7 });
  });

  it('refuses an unknown category or duration with the usage line, exit code 2', async () => {
    const run = await cli(['failed', 'list', '--category', 'bounced']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Unknown category bounced');
    expect(run.stderr).toContain('Usage: ops failed list');
    expect((await cli(['failed', 'list', '--since', 'yesterday'])).stderr).toContain('"yesterday" is not a duration');
  });
});

describe('ops failed show', () => {
  it('shows the reason, the Graph request-id and the delivery record, but never the body, attachment or recipients', async () => {
    const run = await cli(['failed', 'show', 'p1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Job p1 (send-email): failed');
    expect(run.stdout).toContain('Category:  policy-denied (permanent: not retried automatically)');
    expect(run.stdout).toContain('Reason:    Sender blocked@contoso.example is blocked');
    expect(run.stdout).toContain('Graph request-id: req-policy-1');
    // Attachment names, types and sizes come from the metadata; never the bytes.
    expect(run.stdout).toContain('subject "Invoice 1042", 1 recipient, 1 attachment (statement.txt text/plain 33 B), account acc-1');
    expect(run.stdout).toContain('Delivery record: status failed, 1 attempt, sender blocked@contoso.example (account)');
    expect(run.stdout).toContain('Retry:     needs --force.');
    for (const secret of [SECRET_BODY, SECRET_RECIPIENT, SECRET_ATTACHMENT_TEXT, Buffer.from(SECRET_ATTACHMENT_TEXT).toString('base64')]) {
      expect(run.stdout).not.toContain(secret);
    }
  });

  it('prints the whole fix from the delivery record, one command per line, or the runbook section when there is no record', async () => {
    const withRecord = (await cli(['failed', 'show', 'p1'])).stdout;
    expect(withRecord).toContain('Steps (docs/runbook.md#policy-denied):');
    expect(withRecord).toContain(
      `\n      3. Check: Test-ApplicationAccessPolicy -Identity blocked@contoso.example -AppId ${POLICY_APP_ID}`,
    );
    expect(withRecord).toMatch(/\n {6}2\. New-ManagementScope -Name "Omikai ERP senders"/);
    const withoutRecord = (await cli(['failed', 'show', 'p2'])).stdout;
    expect(withoutRecord).toContain('Steps:     docs/runbook.md#policy-denied');
    expect(withoutRecord).not.toContain('New-ManagementScope');
    const json = (await cli(['failed', 'show', 'p1', '--json'])).json();
    expect(json).toMatchObject({
      job: { failure: { category: 'policy-denied', runbook: 'docs/runbook.md#policy-denied', graphRequestId: 'req-policy-1' } },
      delivery: { error: { procedure: POLICY.procedure } },
    });
  });

  it('lists every attempt, newest first, in JSON for scripts', async () => {
    const run = await cli(['failed', 'show', 'x1', '--json']);
    const shown = run.json() as { job: Record<string, unknown>; delivery: unknown; retry: unknown };
    expect(shown.job).toMatchObject({
      id: 'x1',
      state: 'failed',
      attemptsMade: 3,
      email: { subject: 'Invoice 1042', recipientCount: 1, attachmentCount: 1 },
      failure: { category: 'transient', reason: TRANSIENT_REASON, permanent: false },
    });
    expect(shown.job.attempts).toEqual([
      `[transient] ${TRANSIENT_REASON}`,
      'Graph had a temporary problem (HTTP 503) on attempt 2; retrying later.',
      'Graph had a temporary problem (HTTP 503) on attempt 1; retrying later.',
    ]);
    expect(shown.delivery).toBeNull();
    expect(shown.retry).toEqual({ possible: true });
    expect(JSON.stringify(shown)).not.toContain(SECRET_BODY);
  });

  it('says so when the job does not exist, exit code 1', async () => {
    const run = await cli(['failed', 'show', 'nope']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`No job nope in queue ${scenario.queue.name}`);
  });
});

const TRANSIENT_REASON = 'Gave up after 3 attempts: Graph had a temporary problem (HTTP 503).';
