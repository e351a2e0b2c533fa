// With EMAIL_QUEUE_SHARDS the dashboard shows the shards as one e-mail queue: counts summed, pages of
// jobs merged newest first across the shards, and a job's actions acting on the shard that holds it.
import { randomUUID } from 'node:crypto';
import { Worker, type Job, type Queue } from 'bullmq';
import {
  EMAIL_JOB_SCHEMA_VERSION,
  SEND_EMAIL_JOB_NAME,
  createRedisConnection,
  openShardQueues,
  type RedisClient,
} from '@omikai/graph-mailer-client';
import { MemoryDeliveryStore } from '../../src/delivery/memory-delivery-store';
import type { AuditEntry } from '../../src/ops/audit-log';
import { until } from '../../tools/until';
import { SECRET_BODY, secretEmail } from './support/seed-failed-jobs';
import { OPERATOR, VIEWER, as, startTestDashboard, type TestDashboard } from './support/test-dashboard';

const SHARDS = 3;
/** Delayed job r (0…9) is due (60 + r) s from now, on this shard: newest first is r = 9, 8, …, 0. */
const DELAYED_SHARD = [0, 1, 2, 2, 0, 1, 2, 0, 1, 2] as const;

let connection: RedisClient;
let queues: Queue[];
let queueName: string;
let dashboard: TestDashboard;
let audits: AuditEntry[];

const emailData = (accountId: string) => ({ ...secretEmail({ accountId }), schemaVersion: EMAIL_JOB_SCHEMA_VERSION });

/** Takes the shard's only waiting job as a worker would and fails it, without a processor or timers. */
async function failNextJob(queue: Queue, reason: string): Promise<void> {
  const worker = new Worker(queue.name, null, { connection: { url: process.env.REDIS_URL! }, prefix: queue.opts.prefix! });
  try {
    const token = randomUUID();
    const job = (await worker.getNextJob(token, { block: false })) as Job | undefined;
    if (!job) throw new Error(`No waiting job on ${queue.name}`);
    await job.moveToFailed(new Error(reason), token, false);
  } finally {
    await worker.close();
  }
}

beforeEach(async () => {
  queueName = `test-${randomUUID()}`;
  connection = createRedisConnection({ kind: 'single', url: process.env.REDIS_URL! }, 'dashboard');
  queues = openShardQueues({ queueName, shards: SHARDS, hashTagged: false }, connection);
  for (const [rank, shard] of DELAYED_SHARD.entries()) {
    await queues[shard]!.add(SEND_EMAIL_JOB_NAME, emailData(`acc-${shard}`), { jobId: `d${rank}`, delay: 60_000 + rank * 1000 });
  }
  for (const [shard, queue] of queues.entries()) {
    await queue.add(SEND_EMAIL_JOB_NAME, emailData(`acc-${shard}`), { jobId: `f${shard}` });
    await failNextJob(queue, `[policy-denied] Sender of shard ${shard} is blocked`);
  }
  await queues[2]!.add(SEND_EMAIL_JOB_NAME, emailData('acc-2'), { jobId: 'w2' });
  audits = [];
  dashboard = await startTestDashboard({
    queue: { name: queueName, queues, connection },
    deliveries: new MemoryDeliveryStore(),
    audit: { record: (entry) => audits.push(entry) },
  });
});
afterEach(async () => {
  await dashboard.close();
  await Promise.all(queues.map((queue) => queue.obliterate({ force: true })));
  await Promise.all(queues.map((queue) => queue.close()));
  await connection.quit();
});

/** What the tests read of Bull Board's GET /api/queues answer. */
interface BoardQueue {
  name: string;
  counts: Record<string, number>;
  jobs: { id: string }[];
  pagination: unknown;
  isPaused: boolean;
}

async function call(user: typeof VIEWER, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${dashboard.url}${path}`, {
    method,
    headers: { ...as(user), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const page = async (status: string, pageNumber: number, jobsPerPage: number) =>
  (await call(VIEWER, 'GET', `/api/queues?activeQueue=${queueName}&status=${status}&page=${pageNumber}&jobsPerPage=${jobsPerPage}`))
    .body as { queues: BoardQueue[] };

describe('the dashboard over 3 shards', () => {
  it('lists one e-mail queue whose counts are the sums of the shards', async () => {
    const { queues: listed } = await page('delayed', 1, 10);
    expect(listed.map((queue) => queue.name)).toEqual([queueName]);
    expect(listed[0]!.counts).toMatchObject({ delayed: 10, failed: 3, waiting: 1, active: 0, completed: 0 });
    const perShard = await Promise.all(queues.map((queue) => queue.getJobCounts()));
    for (const state of ['delayed', 'failed', 'waiting'] as const) {
      expect(listed[0]!.counts[state]).toBe(perShard.reduce((total, counts) => total + (counts[state] ?? 0), 0));
    }
  });

  it('pages through the shards newest first: each page takes the next jobs whichever shard holds them', async () => {
    const ids = async (pageNumber: number) => (await page('delayed', pageNumber, 4)).queues[0]!.jobs.map((job) => job.id);
    expect(await ids(1)).toEqual(['d9', 'd8', 'd7', 'd6']);
    expect(await ids(2)).toEqual(['d5', 'd4', 'd3', 'd2']);
    expect(await ids(3)).toEqual(['d1', 'd0']);
    expect((await page('delayed', 1, 4)).queues[0]!.pagination).toEqual({ pageCount: 3, range: { start: 0, end: 3 } });
  });

  it('keeps job data redacted and finds a job on the shard that holds it', async () => {
    const listing = await page('latest', 1, 20);
    expect(listing.queues[0]!.jobs.map((job) => job.id)).toEqual(expect.arrayContaining(['w2', 'f0', 'f1', 'f2', 'd9']));
    expect(JSON.stringify(listing)).not.toContain(SECRET_BODY);
    const one = await call(VIEWER, 'GET', `/api/queues/${queueName}/f2`);
    expect(one).toMatchObject({
      status: 200,
      body: { status: 'failed', job: { id: 'f2', failedReason: expect.stringContaining('shard 2') } },
    });
    expect(JSON.stringify(one.body)).not.toContain(SECRET_BODY);
    // The shards' own queues are not on the board.
    expect((await call(VIEWER, 'GET', `/api/queues/${queues[0]!.name}/f0`)).status).toBe(404);
  });

  it('retries a failed job of shard 2 on shard 2 for an operator, audited; a viewer cannot', async () => {
    const refused = await call(VIEWER, 'PUT', `/api/queues/${queueName}/f2/retry`);
    expect(refused.status).toBe(403);
    expect(await queues[2]!.getJobState('f2')).toBe('failed');

    expect((await call(OPERATOR, 'PUT', `/api/queues/${queueName}/f2/retry`)).status).toBe(204);
    expect(await Promise.all(queues.map((queue) => queue.getJobState('f2')))).toEqual(['unknown', 'unknown', 'waiting']);
    expect(await queues[0]!.getJobState('f0')).toBe('failed');
    await until(() => audits.some((entry) => entry.actor === OPERATOR.name));
    expect(audits.find((entry) => entry.actor === OPERATOR.name)).toMatchObject({
      action: 'PUT /api/queues/:queueName/:jobId/retry',
      jobIds: ['f2'],
      result: 'done',
    });
  });

  it('retries every failed job of every shard with "retry all", and audits their ids', async () => {
    expect((await call(OPERATOR, 'PUT', `/api/queues/${queueName}/retry/failed`)).status).toBe(200);
    expect(await Promise.all(queues.map((queue, shard) => queue.getJobState(`f${shard}`)))).toEqual(['waiting', 'waiting', 'waiting']);
    await until(() => audits.length > 0);
    expect(audits[0]).toMatchObject({ queueStatus: 'failed', result: 'done' });
    expect([...(audits[0]!.jobIds ?? [])].sort()).toEqual(['f0', 'f1', 'f2']);
  });

  it('pauses and resumes every shard', async () => {
    expect((await call(OPERATOR, 'PUT', `/api/queues/${queueName}/pause`)).status).toBe(200);
    expect(await Promise.all(queues.map((queue) => queue.isPaused()))).toEqual([true, true, true]);
    expect((await page('delayed', 1, 1)).queues[0]!.isPaused).toBe(true);
    expect((await call(OPERATOR, 'PUT', `/api/queues/${queueName}/resume`)).status).toBe(200);
    expect(await Promise.all(queues.map((queue) => queue.isPaused()))).toEqual([false, false, false]);
  });

  it('cancels an unsent e-mail on the shard that holds it', async () => {
    const result = await call(OPERATOR, 'PUT', `/ops/queues/${queueName}/cancel`, { jobIds: ['w2'] });
    expect(result).toMatchObject({ status: 200, body: { results: [{ jobId: 'w2', outcome: 'cancelled' }] } });
    expect(await queues[2]!.getJob('w2')).toBeUndefined();
  });
});
