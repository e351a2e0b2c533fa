// `npm run bench:limits -- --burst N`: fairness right after a month-end burst. N e-mails spread over
// many mailboxes (queued with enqueueMany, so bulk unless --unmarked), one worker process, and while
// the worker takes the burst up, e-mails for idle mailboxes (one per fresh mailbox) and for burst
// mailboxes (interactive behind their own bulk), each timed from enqueue to Graph. Windows are
// scaled down (default 40 per 10 s per mailbox) so the whole burst leaves in a few minutes.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { sendIntervalMs } from '../src/flow/flow-policy';
import {
  type EmailJobInput,
  BULK_PRIORITY,
  createEmailProducer,
  createRedisConnection,
  type RedisClient,
} from '@omikai/graph-mailer-client';
import type { AcceptedMessage } from '../tools/graph-simulator/graph-simulator';
import { startRedisServer } from '../tools/redis/throwaway-redis';
import { until } from '../tools/until';
import { startWorkerProcesses } from '../tools/processes';
import { startSimulatorProcess } from '../tools/graph-simulator/simulator-process';

const TENANT_ID = 'bbbbbbbb-0000-4000-8000-00000000f002';
const CLIENT = { clientId: 'c0000000-0000-4000-8000-00000000f002', clientSecret: 'burst-secret' };
const CHUNK = 1000;

export interface BurstOptions {
  burst: number;
  burstMailboxes: number;
  messages: number;
  windowMs: number;
  idle: number;
  interactive: number;
  workers: number;
  unmarked: boolean;
}

const burstMailbox = (i: number) => `statements-${i}@contoso.example`;
const idleMailbox = (i: number) => `idle-${i}@contoso.example`;
const email = (subject: string, userId: string): EmailJobInput => ({
  accountId: 'acc-1',
  userId,
  to: [{ address: 'customer@example.com' }],
  subject,
  text: 'Hello',
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Sends per minute over the span a mailbox was busy (from its first to its last send). */
function achievedPerMinute(times: number[]): number {
  if (times.length < 2) return 0;
  return ((times.length - 1) / (Math.max(...times) - Math.min(...times))) * 60_000;
}

async function usedMemory(redis: RedisClient): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
}

export async function runBurst(o: BurstOptions): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), 'omikai-burst-'));
  const redis = await startRedisServer();
  const mailboxes = [
    ...Array.from({ length: o.burstMailboxes }, (_, i) => burstMailbox(i)),
    ...Array.from({ length: o.idle }, (_, i) => idleMailbox(i)),
  ];
  const simulator = await startSimulatorProcess(
    [{ tenantId: TENANT_ID, clients: [CLIENT], mailboxes: mailboxes.map((address) => ({ address })) }],
    workDir,
    ['--mailbox-limit', `${o.messages}/${o.windowMs}`, '--mailbox-concurrency', '4'],
  );
  const queueName = `burst-${randomUUID()}`;
  const workers = await startWorkerProcesses(
    o.workers,
    {
      accounts: [
        {
          _id: 'acc-1',
          emailProvider: 'microsoft-graph',
          microsoftGraph: { tenantId: TENANT_ID, ...CLIENT, senderEmail: burstMailbox(0) },
        },
      ],
      users: mailboxes.map((address) => ({
        _id: address.split('@')[0]!,
        accountId: 'acc-1',
        emailProvider: 'microsoft-graph',
        microsoftGraph: { senderEmail: address },
      })),
    },
    {
      REDIS_URL: redis.url,
      EMAIL_QUEUE_NAME: queueName,
      MS_GRAPH_BASE_URL: simulator.url,
      MS_LOGIN_BASE_URL: simulator.url,
      FLOW_MAILBOX_MESSAGES: String(o.messages),
      FLOW_MAILBOX_WINDOW_MS: String(o.windowMs),
      RETRY_BASE_DELAY_MS: '500',
      WORKER_CONCURRENCY: '20',
    },
  );
  const target = { kind: 'single', url: redis.url } as const;
  const producer = createEmailProducer({ redis: target, queueName, enqueueTimeoutMs: 60_000 });
  const admin = createRedisConnection(target, 'cli');
  const connection = createRedisConnection(target, 'producer');
  const queue = new Queue(queueName, { connection });
  try {
    await until(async () => (await queue.getWorkersCount()) >= o.workers, 60_000);
    // Jobs not finished yet, from the queue's counts (the event stream is trimmed, so counting events could miss some).
    const open = async () => {
      const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active', 'waiting-children');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    };
    const heldJobs = async () => {
      const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active', 'completed', 'failed');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    };
    const expected: string[] = [];
    const memoryBefore = await usedMemory(admin);

    // The burst: mailboxes interleaved, as a statement run over many customers' accounts would be.
    const burstPriority = o.unmarked ? ('interactive' as const) : ('bulk' as const);
    const burstQueuedAt = Date.now();
    for (let i = 0; i < o.burst; i += CHUNK) {
      const chunk = Array.from({ length: Math.min(CHUNK, o.burst - i) }, (_, j) => {
        const n = i + j;
        return email(`statement ${n}`, burstMailbox(n % o.burstMailboxes).split('@')[0]!);
      });
      await producer.enqueueMany(chunk, { priority: burstPriority });
      expected.push(...chunk.map((e) => e.subject));
    }
    const enqueueMs = Date.now() - burstQueuedAt;

    // Jobs of the burst no worker has taken up yet: bulk ones sit in the prioritized set at
    // BULK_PRIORITY until taken up (then at 1); unmarked ones in the wait list.
    const notTakenUp = async () =>
      o.unmarked ? await queue.getWaitingCount() : ((await queue.getCountsPerPriority([BULK_PRIORITY]))[String(BULK_PRIORITY)] ?? 0);
    const notTakenUpAtFirstIdle = await notTakenUp();

    // Idle mailboxes, one e-mail each, spread over the rest of the take-up (the gap is re-planned
    // from the take-up rate seen so far); interactive e-mails from burst mailboxes every few seconds.
    const idleQueuedAt = new Map<string, number>();
    const interactiveQueuedAt = new Map<string, number>();
    let idleDuringTakeUp = 0;
    let takenUpAt: number | undefined;
    let memoryAtTakeUp: { bytes: number; jobs: number } | undefined;
    const interactiveEveryMs = Math.max(
      2000,
      ((o.burst / o.burstMailboxes) * sendIntervalMs({ messagesPerWindow: o.messages, windowMs: o.windowMs })) / (o.interactive + 1),
    );
    let nextInteractiveAt = Date.now() + 500;
    let lastRemaining = notTakenUpAtFirstIdle;
    let lastCheck = Date.now();
    let rate = 2000 / 1000; // jobs per ms, until measured
    for (let i = 0; i < o.idle || (interactiveQueuedAt.size < o.interactive && (await open()) > 0);) {
      const remaining = await notTakenUp();
      const now = Date.now();
      if (remaining < lastRemaining && now > lastCheck) rate = (lastRemaining - remaining) / (now - lastCheck);
      [lastRemaining, lastCheck] = [remaining, now];
      if (remaining === 0 && takenUpAt === undefined) {
        takenUpAt = now;
        memoryAtTakeUp = { bytes: (await usedMemory(admin)) - memoryBefore, jobs: await heldJobs() };
      }
      if (i < o.idle) {
        const subject = `idle ${i}`;
        idleQueuedAt.set(subject, Date.now());
        await producer.enqueue(email(subject, idleMailbox(i).split('@')[0]!));
        expected.push(subject);
        if (remaining > 0) idleDuringTakeUp += 1;
        i += 1;
      }
      if (Date.now() >= nextInteractiveAt && interactiveQueuedAt.size < o.interactive) {
        const k = interactiveQueuedAt.size;
        const subject = `interactive ${k}`;
        interactiveQueuedAt.set(subject, Date.now());
        await producer.enqueue(email(subject, burstMailbox((k * 7) % o.burstMailboxes).split('@')[0]!));
        expected.push(subject);
        nextInteractiveAt = Date.now() + interactiveEveryMs;
      }
      const gap = remaining > 0 && i < o.idle ? Math.min(1000, Math.max(2, remaining / rate / (o.idle - i + 1))) : 200;
      await sleep(gap);
    }

    const deadline = Date.now() + 15 * 60_000;
    while ((await open()) > 0 && Date.now() < deadline) {
      if (takenUpAt === undefined && (await notTakenUp()) === 0) {
        takenUpAt = Date.now();
        memoryAtTakeUp = { bytes: (await usedMemory(admin)) - memoryBefore, jobs: await heldJobs() };
      }
      await sleep(200);
    }
    const drainedMs = Date.now() - burstQueuedAt;

    const sent = await simulator.sent();
    const stats = await simulator.stats();
    const subjectOf = (m: AcceptedMessage) => (m.message as { subject: string }).subject;
    const waitsOf = (queuedAt: Map<string, number>) =>
      sent
        .filter((m) => queuedAt.has(subjectOf(m)))
        .map((m) => m.receivedAt - queuedAt.get(subjectOf(m))!)
        .sort((a, b) => a - b);
    const idleWaits = waitsOf(idleQueuedAt);
    const interactiveWaits = waitsOf(interactiveQueuedAt);
    if (process.env.BURST_DUMP) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(
        process.env.BURST_DUMP,
        JSON.stringify({ burstQueuedAt, sent: sent.map((m) => [m.mailbox, m.receivedAt, subjectOf(m)]) }),
      );
    }
    const received = sent.map(subjectOf);
    const unique = new Set(received);
    const byMailbox = new Map<string, number[]>();
    for (const m of sent) {
      if (!m.mailbox.startsWith('statements-')) continue;
      const times = byMailbox.get(m.mailbox) ?? [];
      times.push(m.receivedAt);
      byMailbox.set(m.mailbox, times);
    }
    const perMailbox = [...byMailbox.values()].map(achievedPerMinute);
    const allowedPerMin = (o.messages / o.windowMs) * 60_000;
    const worst = Math.min(...perMailbox);
    const mean = perMailbox.reduce((a, b) => a + b, 0) / perMailbox.length;
    const result = {
      burstJobs: o.burst,
      burstMailboxes: o.burstMailboxes,
      burstMarked: o.unmarked ? 'nothing (plain client)' : 'bulk (enqueueMany)',
      workers: o.workers,
      limit: `${o.messages} per ${o.windowMs} ms per mailbox`,
      idleSends: idleWaits.length,
      idleDuringTakeUp,
      idleFirstSendP50Ms: percentile(idleWaits, 50),
      idleFirstSendP99Ms: percentile(idleWaits, 99),
      idleFirstSendMaxMs: idleWaits.at(-1),
      interactiveSends: interactiveWaits.length,
      interactiveBehindBulkMs: interactiveWaits.at(-1),
      slotIntervalMs: Number(sendIntervalMs({ messagesPerWindow: o.messages, windowMs: o.windowMs }).toFixed(1)),
      utilisation: Number((worst / allowedPerMin).toFixed(3)),
      utilisationMean: Number((mean / allowedPerMin).toFixed(3)),
      throttled429: stats.throttled,
      redisBytesPerWaitingJob: memoryAtTakeUp ? Math.round(memoryAtTakeUp.bytes / memoryAtTakeUp.jobs) : null,
      enqueueJobsPerSec: Math.round(o.burst / (enqueueMs / 1000)),
      burstNotTakenUpAtFirstIdle: notTakenUpAtFirstIdle,
      takeUpMs: takenUpAt === undefined ? null : takenUpAt - burstQueuedAt,
      drainedMs,
      jobs: expected.length,
      failed: await queue.getFailedCount(),
      lost: expected.filter((subject) => !unique.has(subject)).length,
      duplicates: received.length - unique.size,
    };
    console.log(
      `Burst of ${o.burst} over ${o.burstMailboxes} mailboxes (${result.burstMarked}), ${o.messages} per ${o.windowMs} ms each, ` +
        `${o.workers} worker process(es); queued in ${enqueueMs} ms, taken up after ${result.takeUpMs} ms, drained after ${drainedMs} ms`,
    );
    console.log(
      `idle mailboxes: ${idleWaits.length} e-mails (${idleDuringTakeUp} during take-up), p50 ${result.idleFirstSendP50Ms} ms, ` +
        `p99 ${result.idleFirstSendP99Ms} ms, max ${result.idleFirstSendMaxMs} ms; interactive behind own bulk: max ${result.interactiveBehindBulkMs} ms`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await admin.quit();
    await queue.close();
    await connection.quit();
    await producer.close();
    await workers.stop();
    await simulator.stop();
    await redis.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
