// `ops flow status` against real Redis, reading the state a real mailbox gate wrote: which mailboxes and
// tenants are paused by throttling and until when, each mailbox's reserved backlog and sends in flight.
import { createRedisConnection, type RedisClient as Redis } from '@omikai/graph-mailer-client';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { EXCHANGE_LIMITS, sendIntervalMs, type MailboxLimits } from '../../src/flow/flow-policy';
import { flowKeyPrefix } from '../../src/flow/flow-keys';
import { RedisMailboxGate, type SendTicket } from '../../src/flow/mailbox-gate';
import { runCli } from './support/run-cli';

const LIMITS: MailboxLimits = { ...EXCHANGE_LIMITS, messagesPerWindow: 2, windowMs: 60_000, concurrentSends: 4 };
const INTERVAL_MS = sendIntervalMs(LIMITS);
const TENANT = 'aaaaaaaa-0000-4000-8000-000000000001';
const OTHER_TENANT = 'bbbbbbbb-0000-4000-8000-000000000002';
const APP = 'cccccccc-0000-4000-8000-000000000003';
const ticket = (jobId: string, mailbox: string, tenantId = TENANT): SendTicket => ({
  jobId,
  mailbox,
  tenantId,
  clientId: APP,
  recipients: 1,
});

let redis: Redis;
let queue: Queue;
let now: number;
beforeAll(async () => {
  redis = createRedisConnection({ kind: 'single', url: process.env.REDIS_URL! }, 'producer');
  queue = new Queue(`test-${randomUUID()}`, { connection: { url: process.env.REDIS_URL! } });
  const gate = new RedisMailboxGate(redis, LIMITS, flowKeyPrefix(queue.name), 60_000);
  now = Date.now();
  // info@: one send in flight, four more waiting for the slots they reserved.
  for (const jobId of ['i1', 'i2', 'i3', 'i4', 'i5']) await gate.admit(ticket(jobId, 'Info@Contoso.example'), now);
  // anna@: one send answered, then Graph throttled the mailbox for 30 s.
  const anna = await gate.admit(ticket('a1', 'anna@contoso.example'), now);
  if (anna.kind === 'go') await anna.release();
  await gate.recordThrottle(ticket('a1', 'anna@contoso.example'), 'mailbox', 30_000, now);
  // The app was throttled as a whole in another tenant for 45 s.
  await gate.recordThrottle(ticket('f1', 'billing@fabrikam.example', OTHER_TENANT), 'tenant', 45_000, now);
  // A sender address with a terminal escape sequence in it (it comes from the ERP's settings).
  await gate.admit(ticket('e1', 'evil\u001b[2J@contoso.example'), now);
  // Glob characters, braces and colons in an address (Redis hashes only the first {…}: the tenant's).
  await gate.admit(ticket('o1', 'odd[1]*:{x}@contoso.example'), now);
});
afterAll(async () => {
  const keys = await redis.keys(`${flowKeyPrefix(queue.name)}*`);
  if (keys.length > 0) await redis.del(...keys);
  await queue.obliterate({ force: true });
  await Promise.all([queue.close(), redis.quit()]);
});

const flowStatus = (...args: string[]) => runCli(['flow', 'status', ...args], { queue, now, flow: { limits: LIMITS, redis } });

interface StatusJson {
  queue: string;
  limits: MailboxLimits | null;
  tenants: { tenantId: string; clientId: string; pausedUntil: string | null; throttledMailboxes: string[] }[];
  mailboxes: {
    tenantId: string;
    mailbox: string;
    pausedUntil: string | null;
    reservedBacklog: number;
    lastReservedSlotAt: string | null;
    inFlight: number;
    sentInWindow: number;
  }[];
}

describe('ops flow status', () => {
  it('lists the paused tenants and every mailbox with its pause, reserved backlog and sends in flight, as JSON', async () => {
    const run = await flowStatus('--json');
    expect(run.code).toBe(0);
    const status = run.json() as StatusJson;
    expect(status.queue).toBe(queue.name);
    expect(status.tenants).toEqual([
      {
        tenantId: OTHER_TENANT,
        clientId: APP,
        pausedUntil: new Date(now + 45_000).toISOString(),
        throttledMailboxes: ['billing@fabrikam.example'],
      },
      { tenantId: TENANT, clientId: APP, pausedUntil: null, throttledMailboxes: ['anna@contoso.example'] },
    ]);
    // Largest backlog first; a mailbox is shown lower-cased, as the limits apply to it.
    expect(status.mailboxes[0]).toEqual({
      tenantId: TENANT,
      mailbox: 'info@contoso.example',
      pausedUntil: null,
      reservedBacklog: 4,
      lastReservedSlotAt: new Date(now + 4 * INTERVAL_MS).toISOString(),
      inFlight: 1,
      sentInWindow: 1,
    });
    expect(status.mailboxes).toContainEqual({
      tenantId: TENANT,
      mailbox: 'anna@contoso.example',
      pausedUntil: new Date(now + 30_000).toISOString(),
      reservedBacklog: 0,
      lastReservedSlotAt: null,
      inFlight: 0,
      sentInWindow: 1,
    });
    expect(status.mailboxes).toHaveLength(4);
  });

  it('prints it for people: what is paused and until when, then one line per mailbox', async () => {
    const run = await flowStatus();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Flow control of queue ${queue.name}: 2 sends per 60 s and 4 at once per mailbox.`);
    expect(run.stdout).toContain(`Tenant ${OTHER_TENANT}, app ${APP}: paused until ${new Date(now + 45_000).toISOString()} (in 45 s)`);
    expect(run.stdout).toMatch(new RegExp(`info@contoso\\.example +${TENANT} +- +4 +\\(to .+ in 2 min\\) +1/4 +1/2`));
    expect(run.stdout).toMatch(new RegExp(`anna@contoso\\.example +${TENANT} +until .+ \\(in 30 s\\) +0 +0/4 +1/2`));
    // The runbook section it points to exists.
    expect(run.stdout).toContain('docs/runbook.md#mail-is-slow');
    expect(readFileSync(join(__dirname, '../../docs/runbook.md'), 'utf8')).toContain('\n## Mail is slow\n');
  });

  it('shows one mailbox with --mailbox, whatever its case', async () => {
    const run = await flowStatus('--mailbox', 'INFO@contoso.example', '--json');
    expect((run.json() as StatusJson).mailboxes).toEqual([
      expect.objectContaining({ mailbox: 'info@contoso.example', reservedBacklog: 4 }),
    ]);
    const idle = await flowStatus('--mailbox', 'nobody@contoso.example');
    expect(idle.stdout).toContain('Nothing is known about nobody@contoso.example');
    const odd = (await flowStatus('--mailbox', 'odd[1]*:{x}@contoso.example', '--json')).json() as StatusJson;
    expect(odd.mailboxes).toEqual([expect.objectContaining({ tenantId: TENANT, mailbox: 'odd[1]*:{x}@contoso.example', inFlight: 1 })]);
    // A mailbox name is matched as it is, not as a pattern.
    expect(((await flowStatus('--mailbox', '*', '--json')).json() as StatusJson).mailboxes).toEqual([]);
  });

  it('shows control characters in a mailbox name escaped, never sends them to the terminal', async () => {
    const run = await flowStatus();
    expect(run.stdout).toContain('evil\\x1b[2j@contoso.example');
    expect(run.stdout).not.toContain('\u001b');
  });

  it('says so when flow control is off', async () => {
    const run = await runCli(['flow', 'status'], { queue, now });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Flow control is off (FLOW_ENABLED=false)');
  });
});
