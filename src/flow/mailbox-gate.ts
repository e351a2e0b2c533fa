// Holds every mailbox inside its limits across all worker processes, with state in Redis:
// evenly spaced send slots (reserved, so a backlog waits once instead of polling), a concurrency
// semaphore, optional daily recipients, and pauses after Graph throttles.
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@omikai/graph-mailer-client';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { FlowKeys, type AdmissionKeys } from './flow-keys';
import { loadLuaScript } from './lua-script';
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
  throttled(ticket: SendTicket, scope: 'mailbox' | 'tenant', retryAfterMs: number, now: number): Promise<ThrottleResult>;
}

/**
 * Decides when a job may send, in one atomic step across processes and one round trip per send
 * (lua/admit-send-8.lua lists the rules it keeps). Lua because read-max-add must be atomic;
 * rate-limiter-flexible only says "not now", which would make a backlog poll every window instead
 * of waiting once for its own slot. docs/flow-control.md explains each rule.
 */
const ADMIT_SEND = loadLuaScript('admit-send-8.lua');
/** Frees an admission's place and logs its send, if it is still the job's latest (lua/release-send-4.lua). */
const RELEASE_SEND = loadLuaScript('release-send-4.lua');

const KEY_SLACK_MS = 10 * 60_000;

interface AdmitSendArgs {
  now: number;
  intervalMs: number;
  slackMs: number;
  windowMs: number;
  limit: number;
  jobId: string;
  concurrency: number;
  leaseMs: number;
  stamp: string;
  interactive: boolean;
}

interface ReleaseSendArgs {
  jobId: string;
  answeredAtMs: number;
  stamp: string;
}

/** KEYS and ARGV in the order the scripts' headers list them: the one place that knows it. */
function admitSendCall(keys: AdmissionKeys, args: AdmitSendArgs): (string | number)[] {
  return [
    ...[keys.next, keys.slot, keys.mailboxPause, keys.appPause, keys.sent, keys.sending, keys.admission, keys.lanes],
    ...[args.now, args.intervalMs, args.slackMs, args.windowMs, args.limit, args.jobId, args.concurrency, args.leaseMs, args.stamp],
    args.interactive ? 1 : 0,
  ];
}

function releaseSendCall(keys: AdmissionKeys, args: ReleaseSendArgs): (string | number)[] {
  return [keys.sending, keys.slot, keys.sent, keys.admission, args.jobId, args.answeredAtMs, args.stamp];
}

type RedisWithFlow = RedisClient & {
  admitSend(...keysAndArgs: (string | number)[]): Promise<[number, number]>;
  releaseSend(...keysAndArgs: (string | number)[]): Promise<number>;
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
    for (const script of [ADMIT_SEND, RELEASE_SEND]) redis.defineCommand(script.name, script);
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
      ...admitSendCall(keys, {
        now,
        intervalMs: this.intervalMs,
        slackMs: KEY_SLACK_MS,
        // The log needs no arrival allowance: it compares when this send is admitted (before Graph
        // sees it) with when earlier ones were answered (after Graph saw them).
        windowMs: this.limits.windowMs,
        limit: this.limits.messagesPerWindow,
        jobId,
        concurrency: this.limits.concurrentSends,
        leaseMs: this.lockTimeoutMs,
        stamp,
        interactive: ticket.lane !== 'bulk',
      }),
    );
    if (Number(reason) !== 0) {
      return { kind: 'wait', untilMs: Math.max(Number(goAt), now + 1), reason: Number(reason) === 2 ? 'concurrency' : 'rate' };
    }

    const release = async (answeredAtMs = Date.now()) => {
      await this.redis.releaseSend(...releaseSendCall(keys, { jobId, answeredAtMs, stamp }));
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

  async throttled(ticket: SendTicket, scope: 'mailbox' | 'tenant', retryAfterMs: number, now: number): Promise<ThrottleResult> {
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
