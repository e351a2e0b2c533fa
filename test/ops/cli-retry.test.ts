// `ops retry` against real Redis with seeded failed jobs: what is retried, what is refused and why.
import { seedScenario, type Scenario } from './support/seed-scenario';
import { runCli } from './support/run-cli';

let scenario: Scenario;
beforeEach(async () => {
  scenario = await seedScenario();
});
afterEach(() => scenario.close());

const cli = (argv: string[], now?: number) =>
  runCli(argv, { queue: scenario.queue, deliveries: scenario.deliveries, ...(now ? { now } : {}) });
const stateOf = (jobId: string) => scenario.queue.getJobState(jobId);

describe('ops retry <jobId>', () => {
  it('puts a retryable failure back in the queue with a fresh set of attempts', async () => {
    const run = await cli(['retry', 't1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('job t1: [throttled] retried\n1 retried.\n');
    expect(await stateOf('t1')).toBe('waiting');
    expect((await scenario.queue.getJob('t1'))?.attemptsMade).toBe(0);
  });

  it('refuses a permanent failure without --force and says why it would fail again', async () => {
    const run = await cli(['retry', 'p1']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('job p1: [policy-denied] needs --force: An Exchange application access policy blocks this sender');
    expect(run.stdout).toContain('Fix the cause first, then add --force');
    expect(await stateOf('p1')).toBe('failed');

    const forced = await cli(['retry', 'p1', '--force']);
    expect(forced.code).toBe(0);
    expect(await stateOf('p1')).toBe('waiting');
  });

  it('never retries a job whose delivery record says sent, even with --force', async () => {
    const run = await cli(['retry', 's1', '--force']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/job s1: not retried: its delivery record says sent at \d{4}-/);
    expect(await stateOf('s1')).toBe('failed');
  });

  it('does not retry a completed job or one that does not exist', async () => {
    const run = await cli(['retry', 'ok1', 'nope', '--json']);
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({
      results: [
        { jobId: 'ok1', outcome: 'not-failed', message: 'not retried: it completed (the e-mail was sent or skipped as a duplicate)' },
        { jobId: 'nope', outcome: 'not-found' },
      ],
      summary: { 'not-failed': 1, 'not-found': 1, retried: 0 },
    });
    expect(await stateOf('ok1')).toBe('completed');
  });
});

describe('ops retry --category', () => {
  it('--dry-run says what would be retried and what needs --force, with a progress bar, and changes nothing', async () => {
    const run = await cli(['retry', '--category', 'throttled', '--category', 'invalid-recipient', '--dry-run']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/checking \[[█░]+\] 3\/3 jobs/);
    expect(run.stdout).toContain('job r1: [invalid-recipient] needs --force: Graph rejected a recipient address');
    expect(run.stdout).toContain('Dry run, nothing changed: 2 would be retried, 1 need --force.');
    expect(await Promise.all(['t1', 't2', 'r1'].map(stateOf))).toEqual(['failed', 'failed', 'failed']);
  });

  it('retries every job of the category and prints a summary', async () => {
    const run = await cli(['retry', '--category', 'throttled,transient']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/retrying \[[█░]+\] 4\/4 jobs/);
    expect(run.stdout).toContain('3 retried, 1 already sent (skipped).');
    expect(await Promise.all(['t1', 't2', 'x1', 's1'].map(stateOf))).toEqual(['waiting', 'waiting', 'waiting', 'failed']);
  });

  it('--since leaves older failures alone', async () => {
    const twoHoursLater = Date.now() + 2 * 3_600_000;
    const run = await cli(['retry', '--category', 'throttled', '--since', '1h'], twoHoursLater);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('No failed jobs match; nothing to retry.\n');
    expect(await stateOf('t1')).toBe('failed');
  });

  it('--json gives each job and a summary, and no progress bar', async () => {
    const run = await cli(['retry', '--category', 'policy-denied', '--force', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.json()).toEqual({
      dryRun: false,
      force: true,
      results: expect.arrayContaining([
        { jobId: 'p1', outcome: 'retried', category: 'policy-denied', message: '[policy-denied] retried' },
        { jobId: 'p2', outcome: 'retried', category: 'policy-denied', message: '[policy-denied] retried' },
      ]),
      summary: expect.objectContaining({ retried: 2, 'needs-force': 0 }),
    });
  });

  it('refuses job ids and --category together, or neither, with exit code 2', async () => {
    expect((await cli(['retry', 't1', '--category', 'throttled'])).code).toBe(2);
    const neither = await cli(['retry']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('Give job ids (ops retry 12 13) or a category');
  });
});
