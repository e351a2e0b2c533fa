// What flow control holds back right now, read from the keys the gate writes (named by flowKey only):
// paused mailboxes and tenants, each mailbox's reserved backlog and its sends in flight.
import type { Redis } from 'ioredis';
import { sendIntervalMs, type MailboxLimits } from './flow-policy';
import { flowKey, type FlowKeyKind } from './mailbox-gate';

export interface MailboxFlowState {
  mailbox: string;
  /** Paused after a 429 until then (ms); undefined when it may send. */
  pausedUntilMs?: number;
  /** Send slots reserved after now: jobs waiting in BullMQ's delayed set for this mailbox's turn. */
  reservedBacklog: number;
  /** The last reserved slot: when the backlog has had its turn, pauses and retries aside. */
  lastReservedSlotAtMs?: number;
  /** sendMail requests under way (their lease has not ended). */
  inFlight: number;
  /** Sends logged in the last window, those in flight included. */
  sentInWindow: number;
}

export interface TenantFlowState {
  tenantId: string;
  /** Every mailbox of the tenant's app waits until then (ms), after a 429 about the app. */
  pausedUntilMs?: number;
  /** Mailboxes of the tenant Graph throttled within the last minute. */
  throttledMailboxes: string[];
}

export interface FlowState {
  tenants: TenantFlowState[];
  mailboxes: MailboxFlowState[];
}

const SCAN_COUNT = 1000;
const PIPELINE_BATCH = 500;

/** The ids of every key of one kind (a SCAN of one Redis node). */
async function idsOf(redis: Redis, prefix: string, kind: FlowKeyKind): Promise<string[]> {
  const head = flowKey(prefix, kind, '');
  const ids = new Set<string>();
  for await (const keys of redis.scanStream({ match: flowKey(prefix, kind, '*'), count: SCAN_COUNT }) as AsyncIterable<string[]>) {
    for (const key of keys) ids.add(key.slice(head.length));
  }
  return [...ids];
}

function until(value: unknown, now: number): number | undefined {
  const ms = Number(value);
  return value !== null && Number.isFinite(ms) && ms > now ? ms : undefined;
}

async function readMailboxes(redis: Redis, prefix: string, limits: MailboxLimits, mailboxes: string[], now: number) {
  const interval = sendIntervalMs(limits);
  const states: MailboxFlowState[] = [];
  for (let start = 0; start < mailboxes.length; start += PIPELINE_BATCH) {
    const batch = mailboxes.slice(start, start + PIPELINE_BATCH);
    const pipeline = redis.pipeline();
    for (const mailbox of batch) {
      pipeline
        .get(flowKey(prefix, 'next', mailbox))
        .get(flowKey(prefix, 'pause', mailbox))
        .zcount(flowKey(prefix, 'sending', mailbox), `(${now}`, '+inf')
        .zcount(flowKey(prefix, 'sent', mailbox), `(${now - limits.windowMs}`, '+inf');
    }
    const answers = ((await pipeline.exec()) ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    batch.forEach((mailbox, index) => {
      const [next, pause, inFlight, sent] = answers.slice(index * 4, index * 4 + 4);
      const nextSlotMs = until(next, now);
      // The slots before `next` are spaced by `interval`; those after now are reserved by waiting jobs.
      const reservedBacklog = nextSlotMs === undefined ? 0 : Math.max(0, Math.ceil((nextSlotMs - now) / interval) - 1);
      const pausedUntilMs = until(pause, now);
      states.push({
        mailbox,
        ...(pausedUntilMs !== undefined ? { pausedUntilMs } : {}),
        reservedBacklog,
        ...(reservedBacklog > 0 && nextSlotMs !== undefined ? { lastReservedSlotAtMs: Math.round(nextSlotMs - interval) } : {}),
        inFlight: Number(inFlight),
        sentInWindow: Number(sent),
      });
    });
  }
  return states;
}

async function readTenants(redis: Redis, prefix: string, now: number): Promise<TenantFlowState[]> {
  const tenantIds = [...new Set([...(await idsOf(redis, prefix, 'tenant-pause')), ...(await idsOf(redis, prefix, 'throttled'))])];
  const pipeline = redis.pipeline();
  for (const tenantId of tenantIds)
    pipeline.get(flowKey(prefix, 'tenant-pause', tenantId)).smembers(flowKey(prefix, 'throttled', tenantId));
  const answers = ((await pipeline.exec()) ?? []).map(([err, value]) => {
    if (err) throw err;
    return value;
  });
  return tenantIds.map((tenantId, index) => {
    const pausedUntilMs = until(answers[index * 2], now);
    return {
      tenantId,
      ...(pausedUntilMs !== undefined ? { pausedUntilMs } : {}),
      throttledMailboxes: ((answers[index * 2 + 1] as string[] | undefined) ?? []).sort(),
    };
  });
}

/**
 * One snapshot of the flow-control state under `prefix` (flowKeyPrefix(queue name)). Every mailbox
 * with a flow key is listed (the keys expire some minutes after a mailbox's last send), or only
 * `mailbox`. Paused tenants first, then the largest backlogs.
 */
export async function readFlowState(
  redis: Redis,
  prefix: string,
  limits: MailboxLimits,
  now: number,
  options: { mailbox?: string } = {},
): Promise<FlowState> {
  const mailboxes =
    options.mailbox !== undefined
      ? [options.mailbox.toLowerCase()]
      : [...new Set((await Promise.all((['next', 'pause', 'sending', 'sent'] as const).map((kind) => idsOf(redis, prefix, kind)))).flat())];
  const [tenants, states] = await Promise.all([readTenants(redis, prefix, now), readMailboxes(redis, prefix, limits, mailboxes, now)]);
  return {
    tenants: tenants.sort((a, b) => (b.pausedUntilMs ?? 0) - (a.pausedUntilMs ?? 0) || a.tenantId.localeCompare(b.tenantId)),
    mailboxes: states.sort(
      (a, b) =>
        b.reservedBacklog - a.reservedBacklog ||
        (b.pausedUntilMs ?? 0) - (a.pausedUntilMs ?? 0) ||
        b.inFlight - a.inFlight ||
        a.mailbox.localeCompare(b.mailbox),
    ),
  };
}
