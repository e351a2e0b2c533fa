// Holds every mailbox inside its limits across all worker processes, with state in Redis:
// evenly spaced send slots (reserved, so a backlog waits once instead of polling), a concurrency
// semaphore, optional daily recipients, and pauses after Graph throttles.
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@omikai/graph-mailer-client';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { FlowKeys } from './flow-keys';
import { sendIntervalMs, type MailboxLimits } from './flow-policy';

export interface SendTicket {
  jobId: string;
  /** The sender mailbox. */
  mailbox: string;
  /** The tenant Entra issued the app's token for (its tid claim), never the configured string. */
  tenantId: string;
  /** The app (client id): Graph's per-app budgets are kept per app, Exchange's mailbox budgets are not. */
  clientId: string;
  recipients: number;
  /**
   * `interactive` (the default) takes the mailbox's next free slot, ahead of its bulk e-mails;
   * `bulk` reserves the slot after every one reserved so far.
   */
  lane?: SendLane;
}

export type SendLane = 'interactive' | 'bulk';

export type Admission =
  | {
      kind: 'go';
      /** Frees the place and logs the send at `answeredAtMs`: when Graph's answer arrived (default: now). */
      release(answeredAtMs?: number): Promise<void>;
    }
  | { kind: 'wait'; untilMs: number; reason: 'rate' | 'paused' | 'concurrency' | 'daily-recipients' };

export interface ThrottleResult {
  retryAtMs: number;
  /** How many times this job has now been deferred by throttling. */
  deferrals: number;
  scope: 'mailbox' | 'tenant';
}

export interface FlowGate {
  admit(ticket: SendTicket, now: number): Promise<Admission>;
  /** Records a 429: pauses the mailbox (or the app in its tenant) for Retry-After and counts the job's deferral. */
  recordThrottle(ticket: SendTicket, scope: 'mailbox' | 'tenant', retryAfterMs: number, now: number): Promise<ThrottleResult>;
}

/**
 * Decides when a job may send, in one atomic step across processes (one round trip per send).
 * Lua because read-max-add must be atomic; rate-limiter-flexible only says "not now", which would
 * make a backlog of thousands poll every window instead of waiting once for its own slot.
 * 1. Each job reserves the mailbox's next free slot (evenly spaced) and keeps it until it sends;
 *    a pause (after a 429) moves every later slot, and a slot held from before the pause.
 * 2. At most `concurrency` sends in flight per mailbox: holders with a lease, so a dead worker's
 *    place frees itself (the counting semaphore redis-semaphore implements, done here in the same
 *    step: it saved two of the three round trips per send). A job that runs again (a retry, or a
 *    stalled job taken over by another worker) keeps its one place; each admission is stamped, so
 *    a late release from the earlier run cannot free the place, or drop the slot, the new run is
 *    using. The stamp is kept per job and mailbox: a run whose sender changed has its own.
 * 3. A log of real sends of the last window. A send is logged as in flight (score in the future)
 *    and, once answered, at the time it was answered — never earlier than Graph saw it — so a slow
 *    send cannot crowd the next window. No arrival allowance here (the slots have it): with one, a
 *    send answered a little after its slot held back the send a window later, which held back the
 *    next one a window after that, each by the time a send takes — a mailbox's pace fell by that
 *    share of the window under load (0.918 of the limit at 40 per 10 s in bench:limits --burst).
 * Returns {time, reason}: reason 0 admits the job (its place and its send are recorded); 1 (rate)
 * and 2 (concurrency) mean wait until that time. Times are whole milliseconds, as Redis returns
 * Lua numbers as integers: an earlier version compared a slot a fraction of a millisecond ahead,
 * returned it truncated to `now`, and the caller took that for an admission that had recorded
 * nothing, so such sends were neither counted in flight nor logged.
 * 4. Two lanes (docs/flow-control.md#priority-and-slots). A bulk e-mail reserves the mailbox's next
 *    free slot, at the end of the line. An interactive one takes the earliest slot a bulk e-mail
 *    holds (or the one after the last interactive e-mail's) and every bulk slot moves one interval
 *    on: bulk slots are kept net of a per-mailbox `shift`, so the move is one write, not one per
 *    bulk e-mail; a bulk e-mail that wakes before its moved slot waits once more.
 * KEYS (one tenant's hash tag, one Cluster slot): next slot, job's slot, mailbox pause, app pause,
 * send log, holders, job's admission, lanes (hash: shift, next interactive slot).
 * ARGV: now, interval, slack, window, limit, job id, concurrency, lease, admission stamp, interactive (1/0).
 */
const ADMIT_SEND = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local slack = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local limit = tonumber(ARGV[5])
local job = ARGV[6]
local interactive = ARGV[10] == '1'
local paused = math.max(tonumber(redis.call('GET', KEYS[3]) or '0'), tonumber(redis.call('GET', KEYS[4]) or '0'))
local shift = tonumber(redis.call('HGET', KEYS[8], 'shift') or '0')
local stored = redis.call('GET', KEYS[2])
local slot = -1
if stored then
  slot = tonumber(stored)
  if not interactive then slot = slot + shift end
end
if slot < 0 or slot < paused then
  local from = math.max(now, paused)
  local nextSlot = tonumber(redis.call('GET', KEYS[1]) or '0')
  if interactive and nextSlot > from then
    -- Bulk e-mails hold the slots ahead: take the earliest of them (or the one after the last
    -- interactive e-mail's) and move every bulk slot one interval on.
    slot = math.max(nextSlot - math.floor((nextSlot - from) / interval) * interval, tonumber(redis.call('HGET', KEYS[8], 'next') or '0'))
    shift = shift + interval
    nextSlot = nextSlot + interval
  else
    slot = math.max(nextSlot, from)
    nextSlot = slot + interval
  end
  redis.call('SET', KEYS[1], nextSlot, 'PX', math.ceil(nextSlot - now + slack))
  if interactive then
    redis.call('HSET', KEYS[8], 'shift', shift, 'next', slot + interval)
    redis.call('SET', KEYS[2], slot, 'PX', math.ceil(slot - now + slack))
  else
    -- A bulk slot is kept net of the moves so far; later ones apply when it is read.
    redis.call('SET', KEYS[2], slot - shift, 'PX', math.ceil(slot - now + slack))
  end
  redis.call('PEXPIRE', KEYS[8], math.ceil(nextSlot - now + slack))
end
-- Times are whole milliseconds (Redis returns Lua numbers as integers): a slot within this one goes.
if math.floor(slot) > now then
  if not interactive then redis.call('PEXPIRE', KEYS[2], math.ceil(slot - now + slack)) end
  return {math.floor(slot), 1}
end
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
if redis.call('ZCARD', KEYS[6]) >= tonumber(ARGV[7]) and redis.call('ZSCORE', KEYS[6], job) == false then return {now + 250, 2} end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - window)
if redis.call('ZCARD', KEYS[5]) >= limit and redis.call('ZSCORE', KEYS[5], job) == false then
  return {math.ceil(tonumber(redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')[2]) + window), 1}
end
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[8]), job)
redis.call('PEXPIRE', KEYS[6], math.ceil(tonumber(ARGV[8]) + slack))
redis.call('SET', KEYS[7], ARGV[9] .. '|' .. (redis.call('GET', KEYS[2]) or ''), 'PX', math.ceil(tonumber(ARGV[8]) + slack))
redis.call('ZADD', KEYS[5], now + window, job)
redis.call('PEXPIRE', KEYS[5], math.ceil(window + slack))
return {now, 0}
`;

/**
 * After the send: free the place in flight, log the send at its answer time, and drop the job's
 * slot unless a later run has booked another since — only if the job's latest admission for this
 * mailbox is this one (a later run of the job owns them otherwise). The admission key holds
 * "stamp|slot at admission".
 * KEYS: holders, job's slot, send log, job's admission. ARGV: job id, answered at, admission stamp.
 */
const RELEASE_SEND = `
local admission = redis.call('GET', KEYS[4])
if not admission then return 0 end
local bar = string.find(admission, '|', 1, true)
if string.sub(admission, 1, bar - 1) ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[4])
if redis.call('GET', KEYS[2]) == string.sub(admission, bar + 1) then redis.call('DEL', KEYS[2]) end
redis.call('ZADD', KEYS[3], 'XX', ARGV[2], ARGV[1])
return 1
`;

const KEY_SLACK_MS = 10 * 60_000;

type RedisWithFlow = RedisClient & {
  admitSend(
    nextSlot: string,
    jobSlot: string,
    mailboxPause: string,
    appPause: string,
    sendLog: string,
    holders: string,
    jobAdmission: string,
    lanes: string,
    now: number,
    interval: number,
    slack: number,
    window: number,
    limit: number,
    jobId: string,
    concurrency: number,
    leaseMs: number,
    stamp: string,
    interactive: 0 | 1,
  ): Promise<[number, number]>;
  releaseSend(
    holders: string,
    jobSlot: string,
    sendLog: string,
    jobAdmission: string,
    jobId: string,
    answeredAt: number,
    stamp: string,
  ): Promise<number>;
};

export class RedisMailboxGate implements FlowGate {
  private readonly redis: RedisWithFlow;
  private readonly dailyRecipients: RateLimiterRedis | undefined;
  private readonly intervalMs: number;
  private readonly keys: FlowKeys;

  /** @param prefix the keys' prefix, e.g. "omikai-email:flow:" (no braces: see FlowKeys). */
  constructor(
    redis: RedisClient,
    private readonly limits: MailboxLimits,
    prefix: string,
    private readonly lockTimeoutMs: number,
  ) {
    this.keys = new FlowKeys(prefix);
    redis.defineCommand('admitSend', { numberOfKeys: 8, lua: ADMIT_SEND });
    redis.defineCommand('releaseSend', { numberOfKeys: 4, lua: RELEASE_SEND });
    this.redis = redis as RedisWithFlow;
    this.intervalMs = sendIntervalMs(limits);
    this.dailyRecipients =
      limits.recipientsPerDay > 0
        ? new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: this.keys.recipientsPrefix,
            points: limits.recipientsPerDay,
            duration: 24 * 3600,
          })
        : undefined;
  }

  async admit(ticket: SendTicket, now: number): Promise<Admission> {
    const keys = this.keys.admission(ticket);
    const { jobId } = ticket;
    const stamp = randomUUID();
    const [goAt, reason] = await this.redis.admitSend(
      keys.next,
      keys.slot,
      keys.mailboxPause,
      keys.appPause,
      keys.sent,
      keys.sending,
      keys.admission,
      keys.lanes,
      now,
      this.intervalMs,
      KEY_SLACK_MS,
      // The log needs no arrival allowance: it compares when this send is admitted (before Graph
      // sees it) with when earlier ones were answered (after Graph saw them).
      this.limits.windowMs,
      this.limits.messagesPerWindow,
      jobId,
      this.limits.concurrentSends,
      this.lockTimeoutMs,
      stamp,
      ticket.lane === 'bulk' ? 0 : 1,
    );
    if (Number(reason) !== 0) {
      return { kind: 'wait', untilMs: Math.max(Number(goAt), now + 1), reason: Number(reason) === 2 ? 'concurrency' : 'rate' };
    }

    const release = async (answeredAtMs = Date.now()) => {
      await this.redis.releaseSend(keys.sending, keys.slot, keys.sent, keys.admission, jobId, answeredAtMs, stamp);
    };
    if (this.dailyRecipients) {
      try {
        await this.dailyRecipients.consume(this.keys.recipients(ticket.tenantId, ticket.mailbox), ticket.recipients);
      } catch (err: unknown) {
        await release();
        if (err instanceof RateLimiterRes) return { kind: 'wait', untilMs: now + err.msBeforeNext, reason: 'daily-recipients' };
        throw err;
      }
    }
    return { kind: 'go', release };
  }

  async recordThrottle(ticket: SendTicket, scope: 'mailbox' | 'tenant', retryAfterMs: number, now: number): Promise<ThrottleResult> {
    const { keys } = this;
    const { tenantId, mailbox, clientId, jobId } = ticket;
    const until = now + retryAfterMs;
    const appPause = keys.app(tenantId, clientId, 'pause');
    const throttledMailboxes = keys.app(tenantId, clientId, 'throttled');
    const deferrals = keys.jobDeferrals(tenantId, jobId);
    // One MULTI, every key under the tenant's tag: one Cluster slot.
    const results = await this.redis
      .multi()
      .set(scope === 'mailbox' ? keys.mailbox(tenantId, mailbox, 'pause') : appPause, String(until), 'PX', retryAfterMs + 1)
      .incr(deferrals)
      .pexpire(deferrals, 24 * 3600_000)
      .sadd(throttledMailboxes, mailbox.toLowerCase())
      .pexpire(throttledMailboxes, 60_000)
      .scard(throttledMailboxes)
      .exec();
    const deferralCount = Number(results?.[1]?.[1] ?? 1);
    const throttledCount = Number(results?.[5]?.[1] ?? 0);
    let effectiveScope = scope;
    // Several mailboxes throttled for one app within a minute: the app is over its limit, pause all its sends in this tenant.
    if (scope === 'mailbox' && throttledCount >= this.limits.tenantPauseAfterMailboxes) {
      await this.redis.set(appPause, String(until), 'PX', Math.ceil(retryAfterMs) + 1);
      effectiveScope = 'tenant';
    }
    return { retryAtMs: until, deferrals: deferralCount, scope: effectiveScope };
  }
}
