// Outlook's upload budget in Redis: 150 MB per 5 minutes per app and mailbox, shared by every worker.
import { randomUUID } from 'node:crypto';
import { RedisUploadBudget } from '../../src/flow/upload-budget';
import { createRedisConnection, type RedisClient } from '@omikai/graph-mailer-client';

const MB = 1024 * 1024;
let redis: RedisClient;
let prefix: string;
beforeAll(() => {
  redis = createRedisConnection({ kind: 'single', url: process.env.REDIS_URL! }, 'producer');
});
afterAll(() => redis.quit());
beforeEach(() => {
  prefix = `test-${randomUUID()}:flow:`;
});
afterEach(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
});

const ticket = (mailbox: string, jobId: string, clientId = 'app-1') => ({ tenantId: 'tenant-1', clientId, mailbox, jobId });

it('admits up to the budget, then names when enough of the window has aged out', async () => {
  const budget = new RedisUploadBudget(redis, { bytesPerWindow: 150 * MB, windowMs: 300_000 }, prefix);
  expect(await budget.reserve(ticket('a@x', 'j1'), 100 * MB, 1_000)).toEqual({ kind: 'go' });
  expect(await budget.reserve(ticket('a@x', 'j2'), 40 * MB, 2_000)).toEqual({ kind: 'go' });
  // 140 MB used: 20 more only fit once the first 100 MB (at t=1000) leave the window.
  expect(await budget.reserve(ticket('a@x', 'j3'), 20 * MB, 3_000)).toEqual({ kind: 'wait', untilMs: 301_001 });
  expect(await budget.reserve(ticket('a@x', 'j3'), 20 * MB, 301_001)).toEqual({ kind: 'go' });
});

it('keeps each mailbox and each app apart, and admits one e-mail larger than the budget into an empty window', async () => {
  const budget = new RedisUploadBudget(redis, { bytesPerWindow: 150 * MB, windowMs: 300_000 }, prefix);
  expect(await budget.reserve(ticket('a@x', 'j1'), 150 * MB, 0)).toEqual({ kind: 'go' });
  expect(await budget.reserve(ticket('b@x', 'j2'), 150 * MB, 0)).toEqual({ kind: 'go' });
  expect(await budget.reserve(ticket('a@x', 'j3', 'app-2'), 150 * MB, 0)).toEqual({ kind: 'go' });
  expect((await budget.reserve(ticket('a@x', 'j4'), 1, 10)).kind).toBe('wait');
  expect(await budget.reserve(ticket('c@x', 'j5'), 200 * MB, 0)).toEqual({ kind: 'go' });
});
