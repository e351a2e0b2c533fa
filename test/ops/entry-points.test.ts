// The dashboard, worker and ops CLI as real processes: configuration, endpoints, and clean shutdown.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { hashPassword } from '../../src/dashboard/password-hash';
import { startMongoStandin } from '../support/mongo-standin/standin-server';
import { logLine, loggedPort, spawnEntryProcess, type WorkerProcess } from '../support/worker-processes';
import { basicAuthHeader, sampleValue } from './support/http';
import { seedJobs, type SeededQueue } from './support/seed-failed-jobs';

const redisUrl = process.env.REDIS_URL!;
let dir: string;
let settingsFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omikai-ops-'));
  settingsFile = join(dir, 'settings.json');
  await writeFile(settingsFile, JSON.stringify({ accounts: [], users: [] }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** An entry point with the settings file and Redis of this suite. */
function start(entry: string, env: Record<string, string>, args: string[] = []): WorkerProcess {
  return spawnEntryProcess(entry, { STORE: 'memory', SETTINGS_FILE: settingsFile, REDIS_URL: redisUrl, ...env }, args);
}

describe('the dashboard process', () => {
  it('serves the board behind Basic auth and /readyz, /metrics on its own port, and stops on SIGTERM', async () => {
    // The weakest hash the dashboard accepts, so the test stays quick.
    const hash = await hashPassword('operator-password-1', { N: 2 ** 15, r: 8, p: 1 });
    const dashboard = start('dashboard.ts', {
      EMAIL_QUEUE_NAME: `test-${randomUUID()}`,
      DASHBOARD_USERS: `olga:operator:${hash}`,
      DASHBOARD_PORT: 'auto',
      DASHBOARD_METRICS_PORT: 'auto',
    });
    try {
      const started = await logLine(dashboard, 'dashboard started');
      const [port, metricsPort] = [loggedPort(started, 'port'), loggedPort(started, 'metricsPort')];
      expect(port).not.toBe(metricsPort);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/`, { headers: basicAuthHeader('olga', 'operator-password-1') })).status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', deliveryStore: 'ok' } });
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(sampleValue(metrics, 'omikai_dashboard_login_failures_total', { reason: 'missing' })).toBe(1);
      expect(metrics).toContain('omikai_email_queue_jobs{');
      expect(metrics).toContain('process_cpu_user_seconds_total');
      dashboard.child.kill('SIGTERM');
      expect(await dashboard.exited).toBe(0);
    } finally {
      dashboard.child.kill('SIGKILL');
    }
  });

  it('refuses to start without users, saying how to add them', async () => {
    const dashboard = start('dashboard.ts', { DASHBOARD_PORT: 'auto', DASHBOARD_METRICS_PORT: '0' });
    expect(await dashboard.exited).toBe(78);
    expect(dashboard.output()).toContain('dashboard not started: No dashboard users: set DASHBOARD_USERS');
  });

  it('refuses a plain-text password (exit 78), naming the user and the command that makes a hash', async () => {
    const dashboard = start('dashboard.ts', { DASHBOARD_USERS: 'olga:operator:Sup3rSecret-password' });
    expect(await dashboard.exited).toBe(78);
    expect(dashboard.output()).toContain('DASHBOARD_USERS: user olga: a plain-text password is refused');
    expect(dashboard.output()).toContain('npm run --silent ops -- hash-password');
    expect(dashboard.output()).not.toContain('Sup3rSecret');
  });

  it('names a bad DASHBOARD_USERS entry without printing its password', async () => {
    const dashboard = start('dashboard.ts', { DASHBOARD_USERS: 'olga:admin:Sup3rSecret!' });
    expect(await dashboard.exited).toBe(78);
    expect(dashboard.output()).toContain('DASHBOARD_USERS: user olga: the role must be viewer or operator');
    expect(dashboard.output()).not.toContain('Sup3rSecret!');
  });
});

describe('the worker process', () => {
  it('serves /healthz, /readyz and /metrics on WORKER_METRICS_PORT', async () => {
    const worker = start('email-worker.ts', { EMAIL_QUEUE_NAME: `test-${randomUUID()}`, WORKER_METRICS_PORT: 'auto' });
    try {
      const metricsPort = loggedPort(await logLine(worker, 'e-mail worker started'), 'metricsPort');
      expect(await (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      expect(await ready.json()).toEqual({
        status: 'ready',
        checks: { redis: 'ok', deliveryStore: 'ok', storeErrors: 'ok', worker: 'ok' },
      });
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      for (const name of ['omikai_email_send_attempts_total', 'omikai_email_send_duration_seconds', 'omikai_email_token_requests_total']) {
        expect(metrics).toContain(`# HELP ${name} `);
      }
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      worker.child.kill('SIGKILL');
    }
  });
});

describe('the worker process with MongoDB', () => {
  it('answers /readyz not ready, naming the delivery store, while its MongoDB is down and the worker runs on', async () => {
    // A stand-in of this test's own, so stopping it touches no other test.
    const mongo = await startMongoStandin();
    const worker = start('email-worker.ts', {
      STORE: 'mongodb',
      MONGODB_URI: `${mongo.uri}readyz-${randomUUID().slice(0, 8)}`,
      EMAIL_QUEUE_NAME: `test-${randomUUID()}`,
      WORKER_METRICS_PORT: 'auto',
    });
    let metricsPort = 0;
    const readyz = async () => {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      return { status: response.status, body: (await response.json()) as unknown };
    };
    try {
      metricsPort = loggedPort(await logLine(worker, 'e-mail worker started'), 'metricsPort');
      expect(await readyz()).toEqual({
        status: 200,
        body: { status: 'ready', checks: { redis: 'ok', deliveryStore: 'ok', storeErrors: 'ok', worker: 'ok' } },
      });
      await mongo.stop();
      expect(await readyz()).toEqual({
        status: 503,
        body: { status: 'not ready', checks: { redis: 'ok', deliveryStore: 'failed', storeErrors: 'ok', worker: 'ok' } },
      });
      expect(worker.child.exitCode).toBeNull();
      worker.child.kill('SIGTERM');
      await worker.exited;
    } finally {
      worker.child.kill('SIGKILL');
      await mongo.stop();
    }
  });
});

describe('the ops CLI process', () => {
  it('answers with the queue status as JSON and exits 0', async () => {
    const queue = new Queue(`test-${randomUUID()}`, { connection: { url: redisUrl } });
    try {
      await queue.add('send-email', {});
      const cli = start('ops-cli.ts', { EMAIL_QUEUE_NAME: queue.name }, ['queue', 'status', '--json']);
      expect(await cli.exited).toBe(0);
      expect(JSON.parse(cli.output())).toMatchObject({ queue: queue.name, paused: false, counts: { waiting: 1 } });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});

describe('the ops CLI and verify with no configuration at all', () => {
  it.each([
    ['ops-cli.ts', ['--help']],
    ['ops-cli.ts', ['-h']],
    ['ops-cli.ts', []],
    ['ops-cli.ts', ['help']],
    ['ops-cli.ts', ['failed', 'show', '--help']],
    ['verify.ts', ['--help']],
    ['verify.ts', ['-h']],
    ['verify.ts', []],
  ])('%s %j prints its usage and exits 0', async (entry, args) => {
    const cli = spawnEntryProcess(entry, {}, args);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toMatch(/^Usage: /);
    expect(cli.output()).not.toContain('Invalid configuration');
  });

  it('verify still refuses an unknown option with its usage, exit code 2', async () => {
    const cli = spawnEntryProcess('verify.ts', {}, ['--acount', 'a1']);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain("Unknown option '--acount'");
    expect(cli.output()).toContain('Usage: npm run verify');
  });
});

describe('ops commands open only what they need', () => {
  let seeded: SeededQueue;
  beforeAll(async () => {
    seeded = await seedJobs([
      { id: 'f1', failure: { category: 'sender-mailbox', code: 'ErrorInvalidUser', reason: 'Sender x is not a user.' } },
    ]);
  });
  afterAll(() => seeded.close());
  /** Redis alone: no MONGODB_URI, no STORE, no SETTINGS_FILE. */
  const redisOnly = (args: string[]) => spawnEntryProcess('ops-cli.ts', { REDIS_URL: redisUrl, EMAIL_QUEUE_NAME: seeded.queue.name }, args);

  it('queue status, failed list, failed show and flow status need only Redis', async () => {
    const [status, list, show, flow] = [
      redisOnly(['queue', 'status', '--json']),
      redisOnly(['failed', 'list', '--json']),
      redisOnly(['failed', 'show', 'f1']),
      redisOnly(['flow', 'status', '--json']),
    ];
    expect(await Promise.all([status.exited, list.exited, show.exited, flow.exited])).toEqual([0, 0, 0, 0]);
    expect(JSON.parse(flow.output())).toMatchObject({ queue: seeded.queue.name, limits: { messagesPerWindow: 30 }, mailboxes: [] });
    expect(JSON.parse(status.output())).toMatchObject({ queue: seeded.queue.name, counts: { failed: 1 } });
    expect(JSON.parse(list.output())).toMatchObject({ total: 1, groups: [{ category: 'sender-mailbox' }] });
    expect(show.output()).toContain('Category:  sender-mailbox');
    expect(show.output()).toContain('Delivery record: not read (no delivery store is configured; set MONGODB_URI to read it)');
  });

  it('a command that needs the delivery store says which variable is missing, exit code 78', async () => {
    const find = redisOnly(['delivery', 'find', '--job', 'f1']);
    expect(await find.exited).toBe(78);
    expect(find.output()).toContain('MONGODB_URI: is required');
  });
});
