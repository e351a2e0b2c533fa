// Per-mailbox limits across several real worker processes, against a simulator that enforces
// Exchange's limits (scaled down: 10 messages per 2 s, 4 concurrent requests).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Queue, QueueEvents } from 'bullmq';
import { createEmailProducer, type EmailProducer, BULK_PRIORITY } from '@omikai/graph-mailer-client';
import { startGraphSimulator, type AcceptedMessage, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { PIPELINE_TENANTS, accountDocument, sampleEmail, userDocument } from '../support/test-pipeline';
import { until } from '../../tools/until';
import { startWorkerProcesses, type WorkerProcesses } from '../support/worker-processes';

const WINDOW_MS = 2000;
const LIMIT = 10;
const documents = { accounts: [accountDocument('acc-1')], users: [userDocument('anna', 'acc-1', 'anna@contoso.example')] };

let simulator: GraphSimulator;
let workers: WorkerProcesses | undefined;
let producer: EmailProducer;
let events: QueueEvents;
let queueName: string;
let completed: Set<string>;
let failures: string[];
const endings = new EventEmitter();

async function startWorkers(count: number, simulatorLimit: number, ourLimit: number): Promise<void> {
  simulator = await startGraphSimulator({
    tenants: PIPELINE_TENANTS,
    mailboxLimits: { messagesPerWindow: simulatorLimit, windowMs: WINDOW_MS, concurrentRequests: 4 },
  });
  queueName = `test-${randomUUID()}`;
  const redisUrl = process.env.REDIS_URL!;
  producer = createEmailProducer({ connection: { url: redisUrl }, queueName });
  events = new QueueEvents(queueName, { connection: { url: redisUrl } });
  // Recorded from before the first enqueue, so no job can end before anyone listens.
  completed = new Set();
  failures = [];
  events.on('completed', ({ jobId }) => {
    completed.add(jobId);
    endings.emit('ended');
  });
  events.on('failed', ({ jobId, failedReason }) => {
    failures.push(`job ${jobId} failed: ${failedReason}`);
    endings.emit('ended');
  });
  await events.waitUntilReady();
  workers = await startWorkerProcesses(count, documents, {
    REDIS_URL: redisUrl,
    EMAIL_QUEUE_NAME: queueName,
    MS_GRAPH_BASE_URL: simulator.url,
    MS_LOGIN_BASE_URL: simulator.url,
    FLOW_MAILBOX_MESSAGES: String(ourLimit),
    FLOW_MAILBOX_WINDOW_MS: String(WINDOW_MS),
    FLOW_MAILBOX_CONCURRENCY: '4',
    RETRY_BASE_DELAY_MS: '200',
  });
}

afterEach(async () => {
  await workers?.stop();
  workers = undefined;
  await events.close();
  const queue = new Queue(queueName, { connection: { url: process.env.REDIS_URL! } });
  await queue.obliterate({ force: true });
  await queue.close();
  await producer.close();
  await simulator.close();
});

/** Resolves once every job has completed (ends recorded since the queue's events were opened); rejects on a failure. */
function waitForAll(jobIds: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (failures.length > 0) finish(() => reject(new Error(failures.join('; '))));
      else if (jobIds.every((id) => completed.has(id))) finish(resolve);
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`${jobIds.filter((id) => !completed.has(id)).length} job(s) not completed in time`))),
      timeoutMs,
    );
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      endings.off('ended', check);
      settle();
    };
    endings.on('ended', check);
    check();
  });
}

/** The most messages any one mailbox had accepted within any window. */
function busiestWindow(sent: AcceptedMessage[], mailbox: string): number {
  const times = sent.filter((m) => m.mailbox === mailbox).map((m) => m.receivedAt);
  return Math.max(0, ...times.map((start) => times.filter((t) => t >= start && t < start + WINDOW_MS).length));
}

const subjects = (sent: AcceptedMessage[]) => sent.map((m) => (m.message as { subject: string }).subject);

describe('per-mailbox flow control across worker processes', () => {
  it('holds the limit globally with 2 workers: no 429, never more than the limit in a window', async () => {
    await startWorkers(2, LIMIT, LIMIT);
    const jobs = await producer.enqueueMany(Array.from({ length: 30 }, (_, i) => sampleEmail({ subject: `m${i}` })));
    await waitForAll(
      jobs.map((j) => j.jobId),
      30_000,
    );
    expect(simulator.sent).toHaveLength(30);
    expect(simulator.stats.throttled).toBe(0);
    expect(busiestWindow(simulator.sent, 'info@contoso.example')).toBeLessThanOrEqual(LIMIT);
  }, 60_000);

  it('never has more than 4 sends in flight for a mailbox, however many workers and slow answers', async () => {
    await startWorkers(2, 1000, 1000);
    simulator.setLatencyMs(300);
    const jobs = await producer.enqueueMany(Array.from({ length: 24 }, (_, i) => sampleEmail({ subject: `c${i}` })));
    await waitForAll(
      jobs.map((j) => j.jobId),
      30_000,
    );
    expect(simulator.sent).toHaveLength(24);
    expect(simulator.stats.throttled).toBe(0);
  }, 60_000);

  it('a backlog for one mailbox does not hold back a mail from another', async () => {
    await startWorkers(2, LIMIT, LIMIT);
    const BACKLOG = 300; // 60 s of info@'s sends at 10 per 2 s
    await producer.enqueueMany(Array.from({ length: BACKLOG }, (_, i) => sampleEmail({ subject: `backlog ${i}` })));
    // The workers have taken up the whole backlog (none left at the bulk priority enqueueMany gave
    // it): each job now waits for its slot, delayed in BullMQ.
    const queue = new Queue(queueName, { connection: { url: process.env.REDIS_URL! } });
    try {
      await until(async () => (await queue.getCountsPerPriority([BULK_PRIORITY]))[BULK_PRIORITY] === 0, 20_000);
    } finally {
      await queue.close();
    }
    const { jobId } = await producer.enqueue(sampleEmail({ userId: 'anna', subject: 'from anna' }));
    await waitForAll([jobId], 10_000);
    const annas = simulator.sent.find((m) => m.mailbox === 'anna@contoso.example')!;
    // Behind the backlog it would have come after all 300; it came after the few sent meanwhile
    // (counted by the simulator's own clock, not by how long the machine took).
    const infosBefore = simulator.sent.filter((m) => m.mailbox === 'info@contoso.example' && m.receivedAt < annas.receivedAt);
    expect(infosBefore.length).toBeLessThan(BACKLOG / 5);
  }, 60_000);

  it('a 429 pauses only that mailbox, for Retry-After, in every worker', async () => {
    await startWorkers(2, 100, 100);
    simulator.inject({
      on: 'sendMail',
      kind: 'status',
      status: 429,
      retryAfter: '2',
      mailbox: 'info@contoso.example',
      code: 'ApplicationThrottled',
      message: 'Application is over its MailboxConcurrency limit.',
    });
    const first = await producer.enqueue(sampleEmail({ subject: 'info 0' }));
    // Waits for events, not for time: the deadlines only bound a run on a machine that is very busy.
    await until(() => simulator.stats.rejected === 1, 30_000);
    const throttledAt = simulator.refused[0]!.answeredAt;
    // The worker records the pause a moment after Graph answered; the other jobs come after that.
    await until(() => workers!.output().includes('"pausedScope":"mailbox"'), 30_000);
    const infos = await producer.enqueueMany(Array.from({ length: 5 }, (_, i) => sampleEmail({ subject: `info ${i + 1}` })));
    const annas = await producer.enqueueMany(Array.from({ length: 6 }, (_, i) => sampleEmail({ userId: 'anna', subject: `anna ${i}` })));
    await waitForAll(
      [first, ...infos, ...annas].map((j) => j.jobId),
      20_000,
    );
    const sentInfo = simulator.sent.filter((m) => m.mailbox === 'info@contoso.example');
    const sentAnna = simulator.sent.filter((m) => m.mailbox === 'anna@contoso.example');
    expect(sentInfo).toHaveLength(6);
    // The pause began no sooner than the 429 was answered: info@ took nothing for Retry-After (2 s) from then.
    expect(simulator.refused).toEqual([expect.objectContaining({ mailbox: 'info@contoso.example', status: 429 })]);
    expect(Math.min(...sentInfo.map((m) => m.receivedAt)) - throttledAt).toBeGreaterThanOrEqual(2000);
    expect(sentAnna).toHaveLength(6);
    // anna@ is not paused: her first mail goes before info@'s first.
    expect(Math.min(...sentAnna.map((m) => m.receivedAt))).toBeLessThan(Math.min(...sentInfo.map((m) => m.receivedAt)));
  }, 90_000);

  it('when Exchange allows less than we think, every mail still arrives exactly once', async () => {
    await startWorkers(3, 5, LIMIT);
    const jobs = await producer.enqueueMany(Array.from({ length: 20 }, (_, i) => sampleEmail({ subject: `s${i}` })));
    await waitForAll(
      jobs.map((j) => j.jobId),
      45_000,
    );
    expect(simulator.stats.throttled).toBeGreaterThan(0);
    expect(subjects(simulator.sent).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `s${i}`).sort());
  }, 60_000);
});
