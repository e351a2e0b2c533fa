// The worker entry point as a real process: configuration errors, sending, and SIGTERM mid-send.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { createEmailProducer } from '@omikai/graph-mailer-client';
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { spawnWorkerProcess } from '../support/worker-processes';
import { PIPELINE_TENANTS, accountDocument, sampleEmail } from '../support/test-pipeline';
import { until } from '../../tools/until';

const redisUrl = process.env.REDIS_URL!;

describe('the worker process', () => {
  it('refuses to start with bad configuration, one line per variable', async () => {
    const worker = spawnWorkerProcess({ MS_GRAPH_CLOUD: 'mars', WORKER_CONCURRENCY: '0', MONGODB_URI: 'mongodb://127.0.0.1:1/x' });
    expect(await worker.exited).toBe(78);
    const lines = worker.output().trim().split('\n');
    expect(lines[0]).toBe('Invalid configuration:');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}MS_GRAPH_CLOUD: .*got "mars".*\(example: MS_GRAPH_CLOUD=global\)$/),
      expect.stringMatching(/^ {2}WORKER_CONCURRENCY: .*got "0".*\(example: WORKER_CONCURRENCY=20\)$/),
    ]);
  });

  it('names each bad secret variable on stderr without printing a password, key or password tail', async () => {
    const key = Buffer.alloc(32, 5).toString('base64');
    const worker = spawnWorkerProcess({
      REDIS_URL: 'http://mailer:RedisPw-9@redis.internal:6379',
      MONGODB_URI: 'postgres://erp:MongoPw-9@db.internal/omikai',
      SETTINGS_ENCRYPTION_KEYS: `${key}:k1`,
      DASHBOARD_USERS: 'anna:operator:pass,TailOfPw9',
    });
    expect(await worker.exited).toBe(78);
    const output = worker.output();
    expect(output.trim().split('\n')).toEqual([
      'Invalid configuration:',
      expect.stringMatching(/^ {2}REDIS_URL: .*got "http:\/\/\*\*\*@redis\.internal:6379"/),
      expect.stringMatching(/^ {2}MONGODB_URI: .*got "postgres:\/\/\*\*\*@db\.internal\/omikai"/),
    ]);
    for (const secret of ['RedisPw-9', 'MongoPw-9', key, key.slice(0, 12), 'TailOfPw9']) expect(output).not.toContain(secret);

    // With the URLs right, the key list and the user list are reported, again without their secrets.
    const second = spawnWorkerProcess({
      MONGODB_URI: 'mongodb://127.0.0.1:1/x',
      SETTINGS_ENCRYPTION_KEYS: `${key}:k1`,
      DASHBOARD_USERS: 'anna:operator:pass,TailOfPw9',
    });
    expect(await second.exited).toBe(78);
    expect(second.output()).toMatch(/^ {2}SETTINGS_ENCRYPTION_KEYS: Entry 1/m);
    expect(second.output()).toMatch(/^ {2}DASHBOARD_USERS: entry 2/m);
    for (const secret of [key, key.slice(0, 12), 'TailOfPw9']) expect(second.output()).not.toContain(secret);
  });

  describe('against the simulator', () => {
    let simulator: GraphSimulator;
    let dir: string;
    beforeAll(async () => {
      simulator = await startGraphSimulator({ tenants: PIPELINE_TENANTS });
      dir = await mkdtemp(join(tmpdir(), 'omikai-worker-'));
      await writeFile(join(dir, 'settings.json'), JSON.stringify({ accounts: [accountDocument('acc-1')], users: [] }));
    });
    afterAll(async () => {
      await simulator.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('on SIGTERM finishes the send in flight, then exits 0', async () => {
      const queueName = `test-${randomUUID()}`;
      const producer = createEmailProducer({ connection: { url: redisUrl }, queueName });
      const events = new QueueEvents(queueName, { connection: { url: redisUrl } });
      const worker = spawnWorkerProcess({
        STORE: 'memory',
        SETTINGS_FILE: join(dir, 'settings.json'),
        REDIS_URL: redisUrl,
        EMAIL_QUEUE_NAME: queueName,
        MS_GRAPH_BASE_URL: simulator.url,
        MS_LOGIN_BASE_URL: simulator.url,
      });
      try {
        simulator.setLatencyMs(1500);
        const { jobId } = await producer.enqueue(sampleEmail());
        await until(() => simulator.stats.sendMailRequests === 1, 15_000);
        worker.child.kill('SIGTERM');

        expect(await worker.exited).toBe(0);
        expect(await producer.queue.getJobState(jobId)).toBe('completed');
        expect(simulator.sent).toHaveLength(1);
        expect(worker.output()).toContain('shutting down');
        expect(worker.output()).toContain('STORE=memory');
      } finally {
        worker.child.kill('SIGKILL');
        await events.close();
        await producer.queue.obliterate({ force: true });
        await producer.close();
      }
    });
  });
});
