// `ops delivery find`, `ops queue pause|resume|status`, `ops hash-password`, and how the CLI answers mistakes.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { parsePasswordSecret, verifyPassword } from '../../src/dashboard/password-hash';
import { seedScenario, type Scenario } from './support/seed-scenario';
import { runCli } from './support/run-cli';

describe('ops delivery find', () => {
  let scenario: Scenario;
  beforeAll(async () => {
    scenario = await seedScenario();
  });
  afterAll(() => scenario.close());
  const cli = (argv: string[]) => runCli(argv, { queue: scenario.queue, deliveries: scenario.deliveries });

  it('finds the record of an e-mail by its idempotency key', async () => {
    const run = await cli(['delivery', 'find', '--idempotency-key', 'invoice-1042-email']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^job p1 {2}failed {2}\d{4}-.* account acc-1 {2}sender blocked@contoso.example {2}"Invoice 1042" to 1 documentType=invoice documentId=1042/,
    );
    expect(run.stdout).toContain('[policy-denied] Sender blocked@contoso.example is blocked');
  });

  it('finds records by correlation fields, as JSON for scripts', async () => {
    const run = await cli(['delivery', 'find', '--correlation', 'documentType=invoice', '--correlation', 'documentId=2001', '--json']);
    expect(run.json()).toMatchObject({
      query: { correlation: { documentType: 'invoice', documentId: '2001' } },
      records: [{ jobId: 's1', status: 'sent', sender: 'info@contoso.example', graphRequestId: 'req-s1' }],
    });
  });

  it('says when nothing matches, and asks what to look for when nothing is given', async () => {
    expect((await cli(['delivery', 'find', '--job', 'nope'])).stdout).toContain('No delivery records match');
    const bare = await cli(['delivery', 'find']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Say what to look for');
    expect((await cli(['delivery', 'find', '--correlation', 'documentId'])).stderr).toContain('--correlation takes field=value');
  });
});

describe('ops queue', () => {
  it('pauses and resumes the queue for every worker, and shows its counts', async () => {
    const queue = new Queue(`test-${randomUUID()}`, { connection: { url: process.env.REDIS_URL! } });
    try {
      await queue.add('send-email', {});
      const paused = await runCli(['queue', 'pause'], { queue });
      expect(paused.stdout).toContain(`Queue ${queue.name} paused: workers finish what they hold and start nothing new.`);
      expect(await queue.isPaused()).toBe(true);
      expect((await runCli(['queue', 'status', '--json'], { queue })).json()).toMatchObject({ paused: true, counts: { waiting: 1 } });
      await runCli(['queue', 'resume'], { queue });
      expect(await queue.isPaused()).toBe(false);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});

describe('ops hash-password', () => {
  it('prints a scrypt hash of the password read from stdin that verifies', async () => {
    const run = await runCli(['hash-password'], { stdin: 'correct horse battery staple\n' });
    expect(run.code).toBe(0);
    const hash = run.stdout.trim();
    expect(hash).toMatch(/^scrypt:131072:8:1:[\w-]+:[\w-]+$/);
    expect(await verifyPassword('correct horse battery staple', parsePasswordSecret(hash))).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', parsePasswordSecret(hash))).toBe(false);
  });

  it('refuses a short password and one given on the command line', async () => {
    expect((await runCli(['hash-password'], { stdin: 'short\n' })).code).toBe(2);
    expect((await runCli(['hash-password', 'on-the-command-line'], { stdin: '' })).stderr).toContain('read from stdin');
  });
});

describe('mistakes', () => {
  it('an unknown command prints the help to stderr, exit code 2', async () => {
    const run = await runCli(['frobnicate'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Unknown command: frobnicate');
    expect(run.stderr).toContain('ops retry <jobId>…');
  });

  it('an unknown option names itself and the usage; with --json the error is JSON too', async () => {
    const run = await runCli(['queue', 'status', '--loud', '--json'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Unknown option '--loud'");
    expect(run.json()).toEqual({ error: { name: 'UsageError', message: expect.stringContaining("Unknown option '--loud'") } });
  });

  it('help lists every command', async () => {
    const run = await runCli(['--help'], {});
    expect(run.code).toBe(0);
    for (const command of ['failed list', 'failed show', 'retry', 'delivery find', 'queue pause', 'queue resume', 'hash-password']) {
      expect(run.stdout).toContain(`ops ${command}`);
    }
  });
});
