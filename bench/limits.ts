// `npm run bench:limits`: per-mailbox flow control under load. Three mailboxes (one with a large
// backlog, one with a smaller one, one idle user sending now and then), three worker processes,
// and a simulator enforcing Exchange's limits scaled down. The last line of stdout is one JSON object.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, QueueEvents } from 'bullmq';
import { createEmailProducer, createRedisConnection, type EmailJobInput } from '@omikai/graph-mailer-client';
import type { AcceptedMessage } from '../tools/graph-simulator/graph-simulator';
import { startRedisServer } from '../tools/redis/throwaway-redis';
import { until } from '../tools/until';
import { startWorkerProcesses } from '../tools/processes';
import { runBurst } from './burst';
import { startSimulatorProcess } from '../tools/graph-simulator/simulator-process';

const TENANT_ID = 'bbbbbbbb-0000-4000-8000-00000000f001';
const CLIENT = { clientId: 'c0000000-0000-4000-8000-00000000f001', clientSecret: 'limits-secret' };
const MAILBOXES = { backlog: 'info@contoso.example', busy: 'anna@contoso.example', idle: 'carl@contoso.example' };
const graph = (senderEmail: string) => ({ emailProvider: 'microsoft-graph', microsoftGraph: { senderEmail } });

function email(subject: string, userId?: string): EmailJobInput {
  return { accountId: 'acc-1', ...(userId ? { userId } : {}), to: [{ address: 'customer@example.com' }], subject, text: 'Hello' };
}

/** Sends per minute over the span a mailbox was busy (from its first to its last send). */
function achievedPerMinute(sent: AcceptedMessage[], mailbox: string): number {
  const times = sent.filter((m) => m.mailbox === mailbox).map((m) => m.receivedAt);
  if (times.length < 2) return 0;
  return ((times.length - 1) / (Math.max(...times) - Math.min(...times))) * 60_000;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string' },
      'window-ms': { type: 'string' },
      'simulator-messages': { type: 'string' },
      backlog: { type: 'string', default: '600' },
      busy: { type: 'string', default: '150' },
      workers: { type: 'string' },
      // Fairness after a burst (bench/burst.ts): a burst of this many e-mails over many mailboxes.
      burst: { type: 'string' },
      'burst-mailboxes': { type: 'string' },
      idle: { type: 'string', default: '250' },
      interactive: { type: 'string', default: '10' },
      unmarked: { type: 'boolean', default: false },
    },
  });
  if (values.burst !== undefined) {
    // Exchange's own limit (30 a minute) by default, over enough mailboxes (150 e-mails each) that
    // the burst leaves in about 5 minutes: scaling the mailbox count, not the window, keeps the
    // 100 ms arrival allowance and a send's latency as small a share of the window as in production.
    const burst = Number(values.burst);
    return runBurst({
      burst,
      burstMailboxes: Number(values['burst-mailboxes'] ?? Math.max(30, Math.ceil(burst / 150))),
      messages: Number(values.messages ?? '30'),
      windowMs: Number(values['window-ms'] ?? '60000'),
      idle: Number(values.idle),
      interactive: Number(values.interactive),
      workers: Number(values.workers ?? '1'),
      unmarked: values.unmarked,
    });
  }
  values.workers ??= '3';
  const messages = Number(values.messages ?? '50');
  const windowMs = Number(values['window-ms'] ?? '5000');
  const simulatorMessages = Number(values['simulator-messages'] ?? messages);
  const workDir = await mkdtemp(join(tmpdir(), 'omikai-limits-'));
  const redis = await startRedisServer();
  const simulator = await startSimulatorProcess(
    [{ tenantId: TENANT_ID, clients: [CLIENT], mailboxes: Object.values(MAILBOXES).map((address) => ({ address })) }],
    workDir,
    ['--mailbox-limit', `${simulatorMessages}/${windowMs}`, '--mailbox-concurrency', '4'],
  );
  const queueName = `limits-${randomUUID()}`;
  const workers = await startWorkerProcesses(
    Number(values.workers),
    {
      accounts: [
        {
          _id: 'acc-1',
          emailProvider: 'microsoft-graph',
          microsoftGraph: { tenantId: TENANT_ID, ...CLIENT, senderEmail: MAILBOXES.backlog },
        },
      ],
      users: [
        { _id: 'anna', accountId: 'acc-1', ...graph(MAILBOXES.busy) },
        { _id: 'carl', accountId: 'acc-1', ...graph(MAILBOXES.idle) },
      ],
    },
    {
      REDIS_URL: redis.url,
      EMAIL_QUEUE_NAME: queueName,
      MS_GRAPH_BASE_URL: simulator.url,
      MS_LOGIN_BASE_URL: simulator.url,
      FLOW_MAILBOX_MESSAGES: String(messages),
      FLOW_MAILBOX_WINDOW_MS: String(windowMs),
      RETRY_BASE_DELAY_MS: '500',
      WORKER_CONCURRENCY: '20',
    },
  );
  const target = { kind: 'single', url: redis.url } as const;
  const producer = createEmailProducer({ redis: target, queueName });
  const connection = createRedisConnection(target, 'producer');
  // QueueEvents blocks reading events: a connection of its own.
  const eventsConnection = createRedisConnection(target, 'worker');
  const events = new QueueEvents(queueName, { connection: eventsConnection });
  try {
    await events.waitUntilReady();
    // The worker processes boot (under tsx, about a second) before the burst is queued: the idle
    // mailbox's wait should measure the workers, not their start-up.
    const queue = new Queue(queueName, { connection });
    await until(async () => (await queue.getWorkersCount()) >= Number(values.workers), 60_000);
    await queue.close();
    const expected: string[] = [];
    const jobIds = new Set<string>();
    let failed = 0;
    events.on('completed', ({ jobId }) => jobIds.delete(jobId));
    events.on('failed', ({ jobId }) => {
      failed += 1;
      jobIds.delete(jobId);
    });
    const enqueue = async (inputs: EmailJobInput[]) => {
      for (const { jobId } of await producer.enqueueMany(inputs)) jobIds.add(jobId);
      expected.push(...inputs.map((i) => i.subject));
    };
    const burstQueuedAt = Date.now();
    await enqueue(Array.from({ length: Number(values.backlog) }, (_, i) => email(`backlog ${i}`)));
    await enqueue(Array.from({ length: Number(values.busy) }, (_, i) => email(`busy ${i}`, 'anna')));

    // The idle user sends one e-mail every 5 s while the backlog drains; each one's wait is measured.
    const idleWaits: number[] = [];
    const idleSentAt = new Map<string, number>();
    for (let i = 0; jobIds.size > 0 && i < 100; i += 1) {
      const subject = `idle ${i}`;
      idleSentAt.set(subject, Date.now());
      await enqueue([email(subject, 'carl')]);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
    const deadline = Date.now() + 10 * 60_000;
    while (jobIds.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));

    const sent = await simulator.sent();
    const stats = await simulator.stats();
    for (const message of sent) {
      const subject = (message.message as { subject: string }).subject;
      const enqueuedAt = idleSentAt.get(subject);
      if (enqueuedAt !== undefined) idleWaits.push(message.receivedAt - enqueuedAt);
    }
    const received = sent.map((m) => (m.message as { subject: string }).subject);
    const unique = new Set(received);
    const allowedPerMin = (messages / windowMs) * 60_000;
    const perMailbox = { backlog: achievedPerMinute(sent, MAILBOXES.backlog), busy: achievedPerMinute(sent, MAILBOXES.busy) };
    const simulatorAllowedPerMin = (simulatorMessages / windowMs) * 60_000;
    const ceiling = Math.min(allowedPerMin, simulatorAllowedPerMin);
    const result = {
      mailboxes: 3,
      workers: Number(values.workers),
      allowedPerMin: Math.round(allowedPerMin),
      simulatorAllowedPerMin: Math.round(simulatorAllowedPerMin),
      achievedPerMin: Math.round(Math.min(perMailbox.backlog, perMailbox.busy)),
      achievedPerMinByMailbox: { [MAILBOXES.backlog]: Math.round(perMailbox.backlog), [MAILBOXES.busy]: Math.round(perMailbox.busy) },
      utilisation: Number((Math.min(perMailbox.backlog, perMailbox.busy) / ceiling).toFixed(3)),
      throttled429: stats.throttled,
      jobs: expected.length,
      failed,
      lost: expected.filter((subject) => !unique.has(subject)).length,
      duplicates: received.length - unique.size,
      idleMailboxWaitMs: Math.max(...idleWaits),
      // The first one is queued right behind the backlog, so it also waits for the workers' first pass over it.
      idleMailboxFirstWaitMs: idleWaits[0],
      idleMailboxWaitAfterFirstMs: Math.max(...idleWaits.slice(1)),
      // From queueing the burst to Graph's first message: the workers' cold start (token, settings).
      firstSendAfterBurstMs: Math.min(...sent.map((m) => m.receivedAt)) - burstQueuedAt,
      idleMailboxSends: idleWaits.length,
    };
    console.log(`Limit ${messages} per ${windowMs} ms per mailbox (simulator: ${simulatorMessages}), ${values.workers} worker processes`);
    console.log(
      `backlog mailbox ${Math.round(perMailbox.backlog)}/min, busy mailbox ${Math.round(perMailbox.busy)}/min of ${Math.round(ceiling)} allowed`,
    );
    console.log(
      `idle mailbox: ${idleWaits.length} sends, longest wait ${result.idleMailboxWaitMs} ms; 429s: ${stats.throttled}; lost ${result.lost}, duplicates ${result.duplicates}`,
    );
    const throttleLines = workers
      .output()
      .split('\n')
      .filter((line) => line.includes('"category":"throttled"'));
    for (const line of throttleLines.slice(0, 5)) console.log(`  throttled: ${line.slice(0, 400)}`);
    console.log(JSON.stringify(result));
  } finally {
    await events.close();
    await producer.close();
    await connection.quit();
    await eventsConnection.quit();
    await workers.stop();
    await simulator.stop();
    await redis.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error('bench:limits failed:', err);
  process.exitCode = 1;
});
