// The mailbox gate's concurrency places against a real Redis, one process: admissions, releases,
// and a job that runs again while its earlier run's release is still on its way.
import { createRedisConnection, type RedisClient as Redis } from '@omikai/graph-mailer-client';
import { randomUUID } from 'node:crypto';
import { FlowKeys } from '../../src/flow/flow-keys';
import { EXCHANGE_LIMITS } from '../../src/flow/flow-policy';
import { readFlowState } from '../../src/flow/flow-status';
import { RedisMailboxGate, type SendTicket } from '../../src/flow/mailbox-gate';

const LEASE_MS = 60_000;
// Each admission 10 ms after the last: the rate (one send per 1.1 ms here) never makes a job wait.
let clock = Date.now();
const now = () => (clock += 10);

let redis: Redis;
let gate: RedisMailboxGate;
let prefix: string;

beforeAll(() => {
  redis = createRedisConnection({ kind: 'single', url: process.env.REDIS_URL! }, 'producer');
});

afterAll(async () => {
  await redis.quit();
});

/** A gate for the test's own keys; the defaults keep one send in flight and the rate out of the way. */
function gateWith(messagesPerWindow = 1000, concurrentSends = 1): RedisMailboxGate {
  return new RedisMailboxGate(
    redis,
    { messagesPerWindow, windowMs: 1000, concurrentSends, recipientsPerDay: 0, maxThrottleDeferrals: 5, tenantPauseAfterMailboxes: 3 },
    prefix,
    LEASE_MS,
  );
}

beforeEach(() => {
  prefix = `test-${randomUUID()}:flow:`;
  gate = gateWith();
});

afterEach(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
});

const ticket = (jobId: string, mailbox = 'info@contoso.example'): SendTicket => ({
  jobId,
  mailbox,
  tenantId: 'tenant-1',
  clientId: 'app-1',
  recipients: 1,
});

async function admitted(jobId: string, mailbox?: string) {
  const admission = await gate.admit(ticket(jobId, mailbox), now());
  if (admission.kind !== 'go') throw new Error(`expected ${jobId} to be admitted, got ${JSON.stringify(admission)}`);
  return admission;
}

describe('mailbox gate: sends in flight', () => {
  it('admits up to the concurrency, makes the next one wait, and admits it after a release', async () => {
    const first = await admitted('job-1');
    const second = await gate.admit(ticket('job-2'), now());
    expect(second).toMatchObject({ kind: 'wait', reason: 'concurrency' });
    await first.release();
    await admitted('job-2');
  });

  it('counts only the same mailbox', async () => {
    await admitted('job-1', 'info@contoso.example');
    await admitted('job-2', 'anna@contoso.example');
  });

  it('a job that runs again keeps its one place, and the earlier run’s late release does not free it', async () => {
    const earlierRun = await admitted('job-1');
    // A retry (or a stalled job taken over by another worker) is admitted before the release arrives.
    const laterRun = await admitted('job-1');
    await earlierRun.release();
    // job-1's later run is still in flight: nobody else may send for this mailbox.
    expect(await gate.admit(ticket('job-2'), now())).toMatchObject({ kind: 'wait', reason: 'concurrency' });
    await laterRun.release();
    await admitted('job-2');
  });

  it('an earlier run released late keeps the slot its later run booked after a pause', async () => {
    const earlierRun = await admitted('job-1');
    // Graph throttled the mailbox: the later run's slot moves past the pause.
    await gate.recordThrottle(ticket('job-1'), 'mailbox', 1000, now());
    const laterRun = await gate.admit(ticket('job-1'), now());
    if (laterRun.kind !== 'wait') throw new Error(`expected the later run to wait for the pause, got ${laterRun.kind}`);
    await earlierRun.release();
    // At its booked slot the later run goes; had the release dropped the slot, it would book a new one and wait again.
    expect(await gate.admit(ticket('job-1'), laterRun.untilMs)).toMatchObject({ kind: 'go' });
  });

  it('a run whose sender changed does not take over the earlier run’s place', async () => {
    const earlierRun = await admitted('job-1', 'info@contoso.example');
    await admitted('job-1', 'anna@contoso.example');
    await earlierRun.release();
    // info@'s place is free again.
    await admitted('job-2', 'info@contoso.example');
  });

  it('releasing the same admission twice frees one place only', async () => {
    const first = await admitted('job-1');
    await first.release();
    const second = await admitted('job-2');
    await first.release();
    expect(await gate.admit(ticket('job-3'), now())).toMatchObject({ kind: 'wait', reason: 'concurrency' });
    await second.release();
  });
});

describe('mailbox gate: evenly spaced slots', () => {
  it('a job whose slot is more than a millisecond away waits for it, then goes', async () => {
    gate = gateWith(10, 10); // one send per 110 ms
    const start = Date.now();
    expect(await gate.admit(ticket('job-1'), start)).toMatchObject({ kind: 'go' });
    const second = await gate.admit(ticket('job-2'), start + 1);
    expect(second).toEqual({ kind: 'wait', reason: 'rate', untilMs: start + 110 });
    expect(await gate.admit(ticket('job-2'), start + 109)).toMatchObject({ kind: 'wait', reason: 'rate' });
    expect(await gate.admit(ticket('job-2'), start + 110)).toMatchObject({ kind: 'go' });
  });

  it('a slot a fraction of a millisecond ahead is admitted and counted like any other', async () => {
    // One send per 1.1 ms: the second job's slot is 0.1 ms past the millisecond it arrives in.
    gate = gateWith(1000, 1);
    const start = Date.now();
    expect(await gate.admit(ticket('job-1'), start)).toMatchObject({ kind: 'go' });
    // job-1 is still in flight, so the concurrency limit of 1 must hold job-2 back.
    expect(await gate.admit(ticket('job-2'), start + 1)).toMatchObject({ kind: 'wait', reason: 'concurrency' });
  });
});

describe('mailbox gate: interactive e-mails take the next free slot, ahead of bulk ones', () => {
  // One send per 110 ms, 10 in flight: the rate decides everything here.
  const INTERVAL = 110;
  const as = (lane: 'interactive' | 'bulk', jobId: string): SendTicket => ({ ...ticket(jobId), lane });
  /** Reserves slots for bulk-1 … bulk-n at `start` (bulk-1 goes at once, the rest wait) and returns when each may go. */
  async function bulkBacklog(n: number, start: number): Promise<number[]> {
    const slots: number[] = [];
    for (let i = 1; i <= n; i += 1) {
      const admission = await gate.admit(as('bulk', `bulk-${i}`), start);
      slots.push(admission.kind === 'go' ? start : admission.untilMs);
    }
    return slots;
  }
  const waitsUntil = async (lane: 'interactive' | 'bulk', jobId: string, at: number) => {
    const admission = await gate.admit(as(lane, jobId), at);
    if (admission.kind !== 'wait') throw new Error(`expected ${jobId} to wait, got ${admission.kind}`);
    return admission.untilMs;
  };

  beforeEach(() => {
    gate = gateWith(10, 10);
  });

  it('an interactive e-mail takes the earliest slot a bulk e-mail held, and every bulk slot moves one interval on', async () => {
    const start = Date.now();
    expect(await bulkBacklog(5, start)).toEqual([0, 1, 2, 3, 4].map((i) => start + i * INTERVAL));
    expect(await waitsUntil('interactive', 'urgent-1', start + 5)).toBe(start + INTERVAL);
    // bulk-2 wakes at its old slot and finds it taken: it waits once more, one interval.
    expect(await waitsUntil('bulk', 'bulk-2', start + INTERVAL)).toBe(start + 2 * INTERVAL);
    expect(await waitsUntil('bulk', 'bulk-5', start + 5)).toBe(start + 5 * INTERVAL);
    // A bulk e-mail queued afterwards joins the end of the line, behind the moved ones.
    expect(await waitsUntil('bulk', 'bulk-6', start + 6)).toBe(start + 6 * INTERVAL);
    // At their slots both go: the interactive one, then bulk-2.
    expect(await gate.admit(as('interactive', 'urgent-1'), start + INTERVAL)).toMatchObject({ kind: 'go' });
    expect(await gate.admit(as('bulk', 'bulk-2'), start + 2 * INTERVAL)).toMatchObject({ kind: 'go' });
  });

  it('a second interactive e-mail takes the slot after the first, still ahead of the bulk ones', async () => {
    const start = Date.now();
    await bulkBacklog(4, start);
    expect(await waitsUntil('interactive', 'urgent-1', start + 5)).toBe(start + INTERVAL);
    expect(await waitsUntil('interactive', 'urgent-2', start + 6)).toBe(start + 2 * INTERVAL);
    expect(await waitsUntil('bulk', 'bulk-2', start + 7)).toBe(start + 3 * INTERVAL);
    expect(await waitsUntil('bulk', 'bulk-4', start + 7)).toBe(start + 5 * INTERVAL);
  });

  it('the slots stay evenly spaced: no two e-mails of the mailbox share one, whatever the mix', async () => {
    const start = Date.now();
    const slots = new Map<string, number>();
    const admitted = new Set<string>();
    const lanes: ('interactive' | 'bulk')[] = [
      'bulk',
      'bulk',
      'interactive',
      'bulk',
      'interactive',
      'interactive',
      'bulk',
      'bulk',
      'interactive',
      'bulk',
    ];
    for (const [i, lane] of lanes.entries()) {
      const admission = await gate.admit(as(lane, `${lane}-${i}`), start + i);
      slots.set(`${lane}-${i}`, admission.kind === 'go' ? start + i : admission.untilMs);
      if (admission.kind === 'go') admitted.add(`${lane}-${i}`);
    }
    // Read every waiting e-mail's slot back as it would at wake-up (bulk slots have moved since they were drawn).
    for (const jobId of slots.keys()) {
      if (admitted.has(jobId)) continue;
      const admission = await gate.admit(as(jobId.startsWith('bulk') ? 'bulk' : 'interactive', jobId), start + 20);
      if (admission.kind !== 'wait') throw new Error(`expected ${jobId} to wait, got ${admission.kind}`);
      slots.set(jobId, admission.untilMs);
    }
    const sorted = [...slots.values()].sort((a, b) => a - b);
    expect(sorted).toEqual(sorted.map((_, i) => start + i * INTERVAL));
    // Each interactive e-mail got the earliest slot no interactive one held: slot 0 went to bulk-0 at once.
    expect(['interactive-2', 'interactive-4', 'interactive-5', 'interactive-8'].map((id) => (slots.get(id)! - start) / INTERVAL)).toEqual([
      1, 2, 3, 4,
    ]);
  });

  it('with no bulk e-mail ahead, an interactive e-mail goes at once', async () => {
    const start = Date.now();
    expect(await gate.admit(as('interactive', 'urgent-1'), start)).toMatchObject({ kind: 'go' });
    expect(await waitsUntil('bulk', 'bulk-1', start + 1)).toBe(start + INTERVAL);
  });
});

describe('mailbox gate: one tenant cannot use up another tenant’s mailbox', () => {
  const VICTIM = 'victim@fabrikam.example';
  const exchangeGate = (recipientsPerDay = 0) =>
    new RedisMailboxGate(
      redis,
      {
        messagesPerWindow: 30,
        windowMs: 60_000,
        concurrentSends: 4,
        recipientsPerDay,
        maxThrottleDeferrals: 20,
        tenantPauseAfterMailboxes: 3,
      },
      prefix,
      LEASE_MS,
    );
  const from = (tenantId: string, jobId: string, recipients = 1): SendTicket => ({
    jobId,
    mailbox: VICTIM,
    tenantId,
    clientId: 'app-1',
    recipients,
  });

  it("40 tickets of tenant A for an address do not delay tenant B's mail from that address", async () => {
    gate = exchangeGate();
    const start = Date.now();
    for (let i = 0; i < 40; i += 1) await gate.admit(from('tenant-a', `a-${i}`), start);
    // Tenant A's own 40th mail waits its turn: 39 slots of ~2 s ahead of it.
    expect(await gate.admit(from('tenant-a', 'a-39'), start)).toMatchObject({ kind: 'wait', reason: 'rate' });
    expect(await gate.admit(from('tenant-b', 'b-1'), start)).toMatchObject({ kind: 'go' });
  });

  it("tenant A using up an address's daily recipients leaves tenant B's budget for it whole", async () => {
    gate = exchangeGate(10);
    const start = Date.now();
    const first = await gate.admit(from('tenant-a', 'a-1', 10), start);
    // Tenant B comes later, when the address's rate would let it send: only the daily budget is in question.
    if (first.kind === 'go') await first.release();
    expect(await gate.admit(from('tenant-a', 'a-2', 1), start + 3000)).toMatchObject({ kind: 'wait', reason: 'daily-recipients' });
    expect(await gate.admit(from('tenant-b', 'b-1', 10), start + 10_000)).toMatchObject({ kind: 'go' });
  });

  it("a 429 for tenant A's use of an address does not pause tenant B's", async () => {
    gate = exchangeGate();
    const start = Date.now();
    await gate.recordThrottle(from('tenant-a', 'a-1'), 'mailbox', 60_000, start);
    expect(await gate.admit(from('tenant-a', 'a-2'), start + 1)).toMatchObject({ kind: 'wait' });
    expect(await gate.admit(from('tenant-b', 'b-1'), start + 1)).toMatchObject({ kind: 'go' });
  });
});

describe('mailbox gate: per-app state', () => {
  const as = (clientId: string, jobId: string, mailbox: string): SendTicket => ({
    jobId,
    mailbox,
    tenantId: 'tenant-1',
    clientId,
    recipients: 1,
  });

  it("a throttle about one app pauses that app's sends in the tenant, not another app's", async () => {
    gate = gateWith(1000, 10);
    const start = Date.now();
    await gate.recordThrottle(as('app-x', 'x-1', 'info@contoso.example'), 'tenant', 60_000, start);
    expect(await gate.admit(as('app-x', 'x-2', 'anna@contoso.example'), start + 1)).toMatchObject({ kind: 'wait' });
    expect(await gate.admit(as('app-y', 'y-1', 'carl@contoso.example'), start + 1)).toMatchObject({ kind: 'go' });
  });

  it('every key the gate writes carries the tenant’s hash tag first, whatever the mailbox holds', async () => {
    gate = new RedisMailboxGate(
      redis,
      {
        messagesPerWindow: 1000,
        windowMs: 1000,
        concurrentSends: 4,
        recipientsPerDay: 100,
        maxThrottleDeferrals: 5,
        tenantPauseAfterMailboxes: 3,
      },
      prefix,
      LEASE_MS,
    );
    const odd = { jobId: 'job-{x}', mailbox: 'we{ird}@contoso.example', tenantId: 'tenant-1', clientId: 'app-1', recipients: 1 };
    const admission = await gate.admit(odd, now());
    if (admission.kind === 'go') await admission.release();
    await gate.recordThrottle(odd, 'mailbox', 1000, now());
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThanOrEqual(6);
    for (const key of keys) expect(key.startsWith(`${prefix}{t:tenant-1}:`)).toBe(true);
  });

  it('refuses a key prefix with braces, which would take the place of the tenant’s tag', () => {
    expect(() => new RedisMailboxGate(redis, { ...EXCHANGE_LIMITS }, '{omikai}:flow:', LEASE_MS)).toThrow(/must not contain \{ or \}/);
  });
});

describe('mailbox gate: promises a wrong line would break', () => {
  /** A gate with explicit limits for the test's own keys; the lease is short so it can run out in injected time. */
  const gateOf = (limits: Partial<{ messagesPerWindow: number; concurrentSends: number; recipientsPerDay: number; leaseMs: number }>) =>
    new RedisMailboxGate(
      redis,
      {
        messagesPerWindow: limits.messagesPerWindow ?? 1000,
        windowMs: 1000,
        concurrentSends: limits.concurrentSends ?? 10,
        recipientsPerDay: limits.recipientsPerDay ?? 0,
        maxThrottleDeferrals: 5,
        tenantPauseAfterMailboxes: 3,
      },
      prefix,
      limits.leaseMs ?? LEASE_MS,
    );

  it("a dead worker's place in flight frees itself when its lease runs out, and not before", async () => {
    gate = gateOf({ concurrentSends: 1, leaseMs: 1000 });
    const start = Date.now();
    // job-1's worker dies after admission: it never releases.
    expect(await gate.admit(ticket('job-1'), start)).toMatchObject({ kind: 'go' });
    expect(await gate.admit(ticket('job-2'), start + 999)).toMatchObject({ kind: 'wait', reason: 'concurrency' });
    expect(await gate.admit(ticket('job-2'), start + 1001)).toMatchObject({ kind: 'go' });
  });

  it('a send still unanswered counts in its window: a slow answer does not let one more send into it', async () => {
    // Two a window: slots 550 ms apart (window 1000 ms + 100 ms arrival jitter).
    gate = gateOf({ messagesPerWindow: 2 });
    const start = Date.now();
    expect(await gate.admit(ticket('job-1'), start)).toMatchObject({ kind: 'go' });
    expect(await gate.admit(ticket('job-2'), start + 550)).toMatchObject({ kind: 'go' });
    // job-3's slot has come, but both earlier sends may still reach Graph within its window: an
    // unanswered send is logged a window ahead of its admission (start + 1000 for job-1), and leaves
    // the log a window after that. The log has no arrival allowance (the slots have it).
    expect(await gate.admit(ticket('job-3'), start + 1100)).toEqual({ kind: 'wait', untilMs: start + 2000, reason: 'rate' });
  });

  it('throttles for three mailboxes of one app within a minute pause every mailbox of that app in the tenant', async () => {
    gate = gateOf({});
    const start = Date.now();
    const scopes: string[] = [];
    for (const [i, mailbox] of ['a@contoso.example', 'b@contoso.example', 'c@contoso.example'].entries()) {
      scopes.push((await gate.recordThrottle(ticket(`job-${i}`, mailbox), 'mailbox', 30_000, start)).scope);
    }
    expect(scopes).toEqual(['mailbox', 'mailbox', 'tenant']);
    expect(await gate.admit(ticket('job-9', 'd@contoso.example'), start + 1)).toEqual({
      kind: 'wait',
      untilMs: start + 30_000,
      reason: 'rate',
    });
  });

  it('throttles for two mailboxes pause only those two', async () => {
    gate = gateOf({});
    const start = Date.now();
    await gate.recordThrottle(ticket('job-1', 'a@contoso.example'), 'mailbox', 30_000, start);
    const second = await gate.recordThrottle(ticket('job-2', 'b@contoso.example'), 'mailbox', 30_000, start);
    expect(second).toEqual({ retryAtMs: start + 30_000, deferrals: 1, scope: 'mailbox' });
    expect(await gate.admit(ticket('job-3', 'a@contoso.example'), start + 1)).toMatchObject({ kind: 'wait', untilMs: start + 30_000 });
    expect(await gate.admit(ticket('job-4', 'd@contoso.example'), start + 1)).toMatchObject({ kind: 'go' });
  });

  it('an app-wide 429 pauses every mailbox of the app in the tenant until Retry-After, then lets them go', async () => {
    gate = gateOf({});
    const start = Date.now();
    expect(await gate.recordThrottle(ticket('job-1', 'a@contoso.example'), 'tenant', 5000, start)).toMatchObject({ scope: 'tenant' });
    expect(await gate.admit(ticket('job-2', 'z@contoso.example'), start + 1)).toEqual({
      kind: 'wait',
      untilMs: start + 5000,
      reason: 'rate',
    });
    expect(await gate.admit(ticket('job-2', 'z@contoso.example'), start + 5000)).toMatchObject({ kind: 'go' });
  });

  it('counts how often a job was deferred by throttles', async () => {
    gate = gateOf({});
    const start = Date.now();
    await gate.recordThrottle(ticket('job-1'), 'mailbox', 1000, start);
    expect(await gate.recordThrottle(ticket('job-1'), 'mailbox', 1000, start + 1000)).toMatchObject({
      deferrals: 2,
      retryAtMs: start + 2000,
    });
  });

  it('consumes the daily recipients of every admitted send, and says when the budget comes back', async () => {
    gate = gateOf({ recipientsPerDay: 5 });
    const start = Date.now();
    const first = await gate.admit({ ...ticket('job-1'), recipients: 3 }, start);
    if (first.kind !== 'go') throw new Error('expected job-1 to go');
    await first.release();
    const refused = await gate.admit({ ...ticket('job-2'), recipients: 3 }, start + 10);
    expect(refused).toMatchObject({ kind: 'wait', reason: 'daily-recipients' });
    expect(refused.kind === 'wait' && refused.untilMs - (start + 10)).toBeGreaterThan(23 * 3600_000);
    expect(refused.kind === 'wait' && refused.untilMs - (start + 10)).toBeLessThanOrEqual(24 * 3600_000);
  });

  it('a throttled mailbox is listed, in lower case, among its app’s throttled mailboxes for `ops flow status`', async () => {
    gate = gateOf({});
    const start = Date.now();
    await gate.recordThrottle(ticket('job-1', 'Info@Contoso.example'), 'mailbox', 30_000, start);
    const state = await readFlowState(redis, prefix, EXCHANGE_LIMITS, start + 1);
    expect(state.apps).toEqual([
      expect.objectContaining({ tenantId: 'tenant-1', clientId: 'app-1', throttledMailboxes: ['info@contoso.example'] }),
    ]);
  });

  it('a job’s throttle deferrals are kept for a day, not forever', async () => {
    gate = gateOf({});
    await gate.recordThrottle(ticket('job-1'), 'mailbox', 1000, Date.now());
    const ttl = await redis.pttl(new FlowKeys(prefix).jobDeferrals('tenant-1', 'job-1'));
    expect(ttl).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(24 * 3600_000);
  });

  it('a Retry-After of 0 for the third throttled mailbox still pauses the app, without a Redis error', async () => {
    gate = gateOf({});
    const start = Date.now();
    const scopes: string[] = [];
    for (const [i, mailbox] of ['a@contoso.example', 'b@contoso.example', 'c@contoso.example'].entries()) {
      scopes.push((await gate.recordThrottle(ticket(`job-${i}`, mailbox), 'mailbox', 0, start)).scope);
    }
    expect(scopes).toEqual(['mailbox', 'mailbox', 'tenant']);
  });

  it('a Redis error from the daily-recipient budget is thrown, not taken for a spent budget, and frees the place', async () => {
    gate = gateOf({ recipientsPerDay: 5, concurrentSends: 1 });
    const keys = new FlowKeys(prefix);
    // A key of the wrong type where the budget lives: Redis answers WRONGTYPE.
    const budgetKey = `${keys.recipientsPrefix}:${keys.recipients('tenant-1', 'info@contoso.example')}`;
    await redis.hset(budgetKey, 'not', 'a counter');
    const start = Date.now();
    await expect(gate.admit(ticket('job-1'), start)).rejects.toThrow(/WRONGTYPE/);
    await redis.del(budgetKey);
    expect(await gate.admit(ticket('job-2'), start + 10)).toMatchObject({ kind: 'go' });
  });
});
