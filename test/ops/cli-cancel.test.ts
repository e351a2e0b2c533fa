// `ops cancel`: unsent e-mails are cancelled on their delivery records and removed from the queue;
// sent and completed ones are not; every cancel and retry leaves an audit entry.
import { EMAIL_JOB_SCHEMA_VERSION } from '@omikai/graph-mailer-client';
import { sampleEmail } from '../support/test-pipeline';
import { runCli } from './support/run-cli';
import { seedScenario, type Scenario } from './support/seed-scenario';

let scenario: Scenario;
beforeEach(async () => {
  scenario = await seedScenario();
  const add = (jobId: string, overrides: Parameters<typeof sampleEmail>[0], delay = 0) =>
    scenario.queue.add('send-email', { ...sampleEmail(overrides), schemaVersion: EMAIL_JOB_SCHEMA_VERSION }, { jobId, delay });
  await add('w1', { subject: 'Invoice 1042 reminder', correlation: { documentType: 'invoice', documentId: '1042' } });
  await add('w2', { accountId: 'acc-2', correlation: { documentType: 'invoice', documentId: '1042' } });
  await add('w3', { correlation: { documentType: 'quote', documentId: '77' }, idempotencyKey: 'quote-77' });
  await add('d1', { correlation: { documentType: 'invoice', documentId: '1042' } }, 3_600_000);
});
afterEach(() => scenario.close());

const cli = (argv: string[]) => runCli(argv, { queue: scenario.queue, deliveries: scenario.deliveries });
const record = async (jobId: string) => (await scenario.deliveries.find({ jobId }))[0];

describe('ops cancel <jobId…>', () => {
  it('cancels waiting, delayed and failed jobs: records say cancelled, the jobs (and their content) are gone', async () => {
    const run = await cli(['cancel', 'w3', 'd1', 'p1', '--json']);

    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({
      dryRun: false,
      results: [
        { jobId: 'w3', outcome: 'cancelled', state: 'waiting' },
        { jobId: 'd1', outcome: 'cancelled', state: 'delayed' },
        { jobId: 'p1', outcome: 'cancelled', state: 'failed' },
      ],
      summary: { cancelled: 3 },
    });
    for (const jobId of ['w3', 'd1', 'p1']) expect(await scenario.queue.getJob(jobId)).toBeUndefined();
    // A job that never started gets its record from the job's facts; one that failed keeps its history.
    expect(await record('w3')).toMatchObject({
      status: 'cancelled',
      attempts: 0,
      accountId: 'acc-1',
      correlation: { documentType: 'quote', documentId: '77' },
      idempotencyKey: 'quote-77',
      cancelledBy: 'oncall@ops-host',
      cancelledAt: expect.any(Date),
    });
    expect(await record('p1')).toMatchObject({ status: 'cancelled', attempts: 1, error: { category: 'policy-denied' } });
    const found = await cli(['delivery', 'find', '--job', 'w3']);
    expect(found.stdout).toMatch(/^job w3 {2}cancelled {2}\d{4}-.* cancelled by oncall@ops-host/);
  });

  it('does not cancel a sent e-mail or a completed job, and says why (exit code 1)', async () => {
    const run = await cli(['cancel', 's1', 'ok1', 'nope']);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('job s1: not cancelled: its delivery record says sent at');
    expect(run.stdout).toContain('job ok1: not cancelled: it completed');
    expect(run.stdout).toContain('job nope: no such job');
    expect(await scenario.queue.getJobState('s1')).toBe('failed');
    expect(await scenario.queue.getJobState('ok1')).toBe('completed');
    expect(await record('s1')).toMatchObject({ status: 'sent' });
  });

  it('records who cancelled which jobs and how it ended in the audit trail', async () => {
    const run = await cli(['cancel', 'w1', 's1']);
    expect(run.audits).toEqual([
      {
        actor: 'oncall@ops-host',
        via: 'cli',
        action: 'cancel',
        jobIds: ['w1', 's1'],
        result: 'partial',
        outcomes: { cancelled: 1, 'already-sent': 1 },
      },
    ]);
  });
});

describe('ops cancel by correlation or account', () => {
  it('--dry-run lists the unsent e-mails that match and changes nothing', async () => {
    const run = await cli(['cancel', '--correlation', 'documentId=1042', '--account', 'acc-1', '--dry-run', '--json']);

    const report = run.json() as { dryRun: boolean; results: { jobId: string; outcome: string }[] };
    expect(report.dryRun).toBe(true);
    // The seeded failures share the correlation; ok1 completed (not looked at); w2 is another account's.
    const outcomes = Object.fromEntries(report.results.map((r) => [r.jobId, r.outcome]));
    expect(outcomes).toEqual({
      ...Object.fromEntries(['d1', 'p1', 'p2', 'r1', 't1', 't2', 'w1', 'x1'].map((jobId) => [jobId, 'would-cancel'])),
      s1: 'already-sent',
    });
    expect(await scenario.queue.getJobState('w1')).toBe('waiting');
    expect(await record('w1')).toBeUndefined();
    expect(run.audits).toEqual([]);
  });

  it('cancels only the matching jobs of the account', async () => {
    const run = await cli(['cancel', '--account', 'acc-2']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('job w2: cancelled (was waiting)');
    expect(run.stdout).toContain('1 cancelled.');
    expect(await scenario.queue.getJob('w2')).toBeUndefined();
    expect(await scenario.queue.getJobState('w1')).toBe('waiting');
  });

  it('says when nothing matches', async () => {
    const run = await cli(['cancel', '--correlation', 'documentId=9999']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('No unsent e-mails match; nothing to cancel.');
  });

  it('refuses job ids together with a filter, and a bare cancel (exit code 2)', async () => {
    expect((await cli(['cancel', 'w1', '--account', 'acc-1'])).code).toBe(2);
    const bare = await cli(['cancel']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Say what to cancel');
  });
});

describe('ops retry', () => {
  it('does not retry a job whose record says cancelled, and audits the retry', async () => {
    await scenario.deliveries.cancel({ jobId: 't1', accountId: 'acc-1', recipientCount: 1, by: 'anna', now: new Date() });

    const run = await cli(['retry', 't1', 't2']);

    expect(run.stdout).toMatch(/job t1: not retried: it was cancelled by anna at \d{4}-/);
    expect(await scenario.queue.getJobState('t1')).toBe('failed');
    expect(await scenario.queue.getJobState('t2')).toBe('waiting');
    expect(run.audits).toEqual([
      expect.objectContaining({ actor: 'oncall@ops-host', via: 'cli', action: 'retry', jobIds: ['t1', 't2'], result: 'partial' }),
    ]);
  });
});
