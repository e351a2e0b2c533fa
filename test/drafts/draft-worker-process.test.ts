// Draft-based sending through the real worker process (workers/email-worker.ts) against the simulator.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job, QueueEvents } from 'bullmq';
import { DirectoryPayloadStore, createEmailProducer, type EmailProducer } from '@omikai/graph-mailer-client';
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-processes';
import { CLIENT_SEND_ONLY, PIPELINE_TENANTS, accountDocument, sampleEmail } from '../support/test-pipeline';
import { until } from '../../tools/until';

const redisUrl = process.env.REDIS_URL!;
const MB = 1024 * 1024;

let simulator: GraphSimulator;
let dir: string;
let queueName: string;
let producer: EmailProducer;
let events: QueueEvents;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  simulator = await startGraphSimulator({ tenants: PIPELINE_TENANTS });
  dir = await mkdtemp(join(tmpdir(), 'omikai-drafts-'));
  await writeFile(
    join(dir, 'settings.json'),
    JSON.stringify({
      accounts: [
        accountDocument('draft', { sendMode: 'draft', maxSendSizeMb: 150 }),
        accountDocument('auto', { sendMode: 'auto' }),
        accountDocument('send-only', { sendMode: 'draft', ...CLIENT_SEND_ONLY }),
      ],
      users: [],
    }),
  );
});
afterAll(async () => {
  await simulator.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  simulator.reset();
  queueName = `test-${randomUUID()}`;
  // As in production, content goes to the payload store (a directory the worker shares), not through Redis.
  producer = createEmailProducer({
    connection: { url: redisUrl },
    queueName,
    maxMessageBytes: 60 * MB,
    jobOptions: { attempts: 3 },
    payloads: new DirectoryPayloadStore(join(dir, 'content')),
  });
  events = new QueueEvents(queueName, { connection: { url: redisUrl } });
  await events.waitUntilReady();
});
afterEach(async () => {
  for (const worker of workers.splice(0)) {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
  await events.close();
  await producer.queue.obliterate({ force: true });
  await producer.close();
});

function startWorker(env: Record<string, string> = {}): WorkerProcess {
  const worker = spawnWorkerProcess({
    STORE: 'memory',
    SETTINGS_FILE: join(dir, 'settings.json'),
    REDIS_URL: redisUrl,
    EMAIL_QUEUE_NAME: queueName,
    CONTENT_DIR: join(dir, 'content'),
    MS_GRAPH_BASE_URL: simulator.url,
    MS_LOGIN_BASE_URL: simulator.url,
    MS_UPLOAD_BASE_URL: simulator.uploadUrl,
    WORKER_METRICS_PORT: '0',
    RETRY_BASE_DELAY_MS: '200',
    DRAFT_CONFIRM_WINDOW_MS: '5000',
    DRAFT_CONFIRM_INTERVAL_MS: '100',
    LOG_LEVEL: 'info',
    ...env,
  });
  workers.push(worker);
  return worker;
}

async function finished(jobId: string, timeoutMs = 60_000): Promise<{ state: string; job: Job }> {
  const job = (await Job.fromId(producer.queue, jobId))!;
  await job.waitUntilFinished(events, timeoutMs).catch(() => undefined);
  const ended = (await Job.fromId(producer.queue, jobId))!;
  return { state: await ended.getState(), job: ended };
}

const attachment = (name: string, bytes: Buffer) => ({ name, contentType: 'application/pdf', contentBase64: bytes.toString('base64') });
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('draft sending in the worker process', () => {
  it('sends a 40 MB attachment in draft mode, in ranges under 4 MB, without the token at the upload host', async () => {
    const worker = startWorker();
    const bytes = randomBytes(40 * MB);
    const { jobId } = await producer.enqueue(sampleEmail({ accountId: 'draft', attachments: [attachment('big.pdf', bytes)] }));
    const { state, job } = await finished(jobId, 120_000);
    expect({ state, output: state === 'completed' ? '' : worker.output() }).toEqual({ state: 'completed', output: '' });
    expect(job.returnvalue).toMatchObject({ status: 'sent' });
    expect(simulator.sent).toHaveLength(1);
    expect((simulator.sent[0]?.message as { attachments: unknown[] }).attachments).toEqual([
      { name: 'big.pdf', size: bytes.length, sha256: sha256(bytes), via: 'upload-session' },
    ]);
    expect(simulator.stats).toMatchObject({
      uploadAuthorizationHeaders: 0,
      uploadRangeErrors: 0,
      uploadBytes: bytes.length,
      draftsSent: 1,
    });
    expect(simulator.stats.uploadRequests).toBeGreaterThanOrEqual(Math.ceil(bytes.length / (4 * MB)));
    expect(worker.output()).not.toContain('authtoken');
  });

  it('resolves a 504 after send to sent by finding the Sent Items copy: one send, one attempt, no flag', async () => {
    const worker = startWorker();
    simulator.setSentCopyDelayMs(500);
    simulator.inject({ on: 'send', kind: 'accept-then-504' });
    try {
      const { jobId } = await producer.enqueue(sampleEmail({ accountId: 'draft' }));
      const { state, job } = await finished(jobId);
      expect(state).toBe('completed');
      expect(job.attemptsMade).toBe(1);
      expect(simulator.stats.draftsSent).toBe(1);
      expect(simulator.sent).toHaveLength(1);
      // The worker's log lines reach this process through a pipe, after the job's completion may.
      await until(() => /"confirmedBy":"lookup"/.test(worker.output()));
      expect(worker.output()).toContain('answer to send lost');
      expect(worker.output()).not.toContain('unknown-outcome');
    } finally {
      simulator.setSentCopyDelayMs(0);
    }
  });

  it('a worker killed after creating the draft: the next worker resumes the same draft', async () => {
    const lockEnv = { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' };
    const first = startWorker(lockEnv);
    simulator.inject({ on: 'uploadSession', kind: 'stall', ms: 60_000 });
    const bytes = randomBytes(5 * MB);
    const { jobId } = await producer.enqueue(sampleEmail({ accountId: 'draft', attachments: [attachment('a.pdf', bytes)] }));
    await until(
      () => simulator.stats.uploadSessions === 0 && simulator.stats.draftsCreated === 1 && simulator.stats.draftRequests >= 2,
      30_000,
    );
    const progress = (await Job.fromId(producer.queue, jobId))?.progress as { draft?: { id?: string } };
    expect(progress.draft?.id).toEqual(expect.any(String));
    first.child.kill('SIGKILL');
    await first.exited;

    startWorker(lockEnv);
    const { state } = await finished(jobId);
    expect(state).toBe('completed');
    expect(simulator.stats).toMatchObject({ draftsCreated: 1, draftsSent: 1 });
    const [sent] = [...simulator.items.messages.values()];
    expect(sent?.id).toBe(progress.draft?.id);
    expect(sent?.attachments.map((file) => file.sha256)).toEqual([sha256(bytes)]);
  });

  it('without Mail.ReadWrite the job fails at once with the permission reason', async () => {
    startWorker();
    const { jobId } = await producer.enqueue(sampleEmail({ accountId: 'send-only' }));
    const { state, job } = await finished(jobId);
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/^\[permission\] The app may not create drafts in info@contoso\.example: .*Mail\.ReadWrite/);
  });

  it('auto sends a small e-mail with sendMail and a large one through a draft', async () => {
    startWorker();
    const small = await producer.enqueue(sampleEmail({ accountId: 'auto' }));
    expect((await finished(small.jobId)).state).toBe('completed');
    const large = await producer.enqueue(sampleEmail({ accountId: 'auto', attachments: [attachment('b.pdf', randomBytes(6 * MB))] }));
    expect((await finished(large.jobId)).state).toBe('completed');
    expect(simulator.sent.map((message) => message.via ?? 'sendMail')).toEqual(['sendMail', 'draft']);
  });
});
