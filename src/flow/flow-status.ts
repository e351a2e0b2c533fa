// What flow control holds back right now, read from the keys the gate writes, named only by FlowKeys:
// paused mailboxes and apps (per tenant), each mailbox's reserved backlog and its sends in flight.
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from '@omikai/graph-mailer-client';
import { FlowKeys } from './flow-keys';
import { sendIntervalMs, type MailboxLimits } from './flow-policy';

export interface MailboxFlowState {
  /** The tenant whose token the mailbox's sends used (the token's tid). */
  tenantId: string;
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

export interface AppFlowState {
  tenantId: string;
  clientId: string;
  /** Every mailbox of the app in this tenant waits until then (ms), after a 429 about the app. */
  pausedUntilMs?: number;
  /** The app's mailboxes Graph throttled within the last minute. */
  throttledMailboxes: string[];
}

export interface FlowState {
  apps: AppFlowState[];
  mailboxes: MailboxFlowState[];
}

const SCAN_COUNT = 1000;
const PIPELINE_BATCH = 500;
const TENANT_MARK = '\u0001';
const ID_MARK = '\u0002';
const globEscaped = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * One kind of key, learned from the FlowKeys method that names it (built once with markers in place
 * of the tenant and the mailbox or app): its SCAN pattern, and the tenant and id read back out of a key.
 */
function keyShape(build: (tenantId: string, id: string) => string) {
  const template = build(TENANT_MARK, ID_MARK);
  const [before = '', rest = ''] = template.split(TENANT_MARK);
  const [middle = '', after = ''] = rest.split(ID_MARK);
  return {
    /** Every key of this kind, or those of one mailbox or app (in any tenant). */
    pattern(id?: string): string {
      const [head = '', tail = ''] = build(TENANT_MARK, id ?? ID_MARK).split(TENANT_MARK);
      return `${globEscaped(head)}*${id === undefined ? tail.split(ID_MARK).map(globEscaped).join('*') : globEscaped(tail)}`;
    },
    read(key: string): { tenantId: string; id: string } | undefined {
      if (!key.startsWith(before) || !key.endsWith(after)) return undefined;
      const inner = key.slice(before.length, key.length - after.length);
      const split = inner.indexOf(middle);
      return split < 0 ? undefined : { tenantId: inner.slice(0, split), id: inner.slice(split + middle.length) };
    },
  };
}

/** (tenant, id) pairs of every key of one shape, from a SCAN of every master (one, unless a Cluster). */
async function scanPairs(
  client: RedisClient,
  shape: ReturnType<typeof keyShape>,
  id?: string,
): Promise<Map<string, { tenantId: string; id: string }>> {
  const found = new Map<string, { tenantId: string; id: string }>();
  const servers: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
  for (const redis of servers) {
    for await (const keys of redis.scanStream({ match: shape.pattern(id), count: SCAN_COUNT }) as AsyncIterable<string[]>) {
      for (const key of keys) {
        const pair = shape.read(key);
        if (pair) found.set(`${pair.tenantId}\n${pair.id}`, pair);
      }
    }
  }
  return found;
}

function until(value: unknown, now: number): number | undefined {
  const ms = Number(value);
  return value !== null && value !== undefined && Number.isFinite(ms) && ms > now ? ms : undefined;
}

/**
 * Runs the commands `add` queues in one pipeline; on a Cluster, whose pipelines must stay in one slot
 * and these span tenants, as separate commands sent at once.
 */
async function pipelined(redis: RedisClient, add: (pipeline: ReturnType<Redis['pipeline']>) => void): Promise<unknown[]> {
  if (redis instanceof Cluster) {
    const calls: [string, unknown[]][] = [];
    const recorder: ReturnType<Redis['pipeline']> = new Proxy({} as ReturnType<Redis['pipeline']>, {
      get:
        (_, name) =>
        (...args: unknown[]) => (calls.push([String(name), args]), recorder),
    });
    add(recorder);
    // The names are ioredis command methods, called as the pipeline would have called them.
    const commands = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    return Promise.all(calls.map(([name, args]) => commands[name]!.apply(redis, args)));
  }
  const pipeline = redis.pipeline();
  add(pipeline);
  return ((await pipeline.exec()) ?? []).map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

async function readMailboxes(
  redis: RedisClient,
  keys: FlowKeys,
  limits: MailboxLimits,
  mailboxes: { tenantId: string; id: string }[],
  now: number,
): Promise<MailboxFlowState[]> {
  const interval = sendIntervalMs(limits);
  const states: MailboxFlowState[] = [];
  for (let start = 0; start < mailboxes.length; start += PIPELINE_BATCH) {
    const batch = mailboxes.slice(start, start + PIPELINE_BATCH);
    const answers = await pipelined(redis, (pipeline) => {
      for (const { tenantId, id } of batch) {
        pipeline
          .get(keys.mailbox(tenantId, id, 'next'))
          .get(keys.mailbox(tenantId, id, 'pause'))
          .zcount(keys.mailbox(tenantId, id, 'sending'), `(${now}`, '+inf')
          .zcount(keys.mailbox(tenantId, id, 'sent'), `(${now - limits.windowMs}`, '+inf');
      }
    });
    batch.forEach(({ tenantId, id }, index) => {
      const [next, pause, inFlight, sent] = answers.slice(index * 4, index * 4 + 4);
      const nextSlotMs = until(next, now);
      // The slots before `next` are spaced by `interval`; those after now are reserved by waiting jobs.
      const reservedBacklog = nextSlotMs === undefined ? 0 : Math.max(0, Math.ceil((nextSlotMs - now) / interval) - 1);
      const pausedUntilMs = until(pause, now);
      states.push({
        tenantId,
        mailbox: id,
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

async function readApps(redis: RedisClient, keys: FlowKeys, now: number): Promise<AppFlowState[]> {
  const pause = keyShape((tenantId, clientId) => keys.app(tenantId, clientId, 'pause'));
  const throttled = keyShape((tenantId, clientId) => keys.app(tenantId, clientId, 'throttled'));
  const apps = [...new Map([...(await scanPairs(redis, pause)), ...(await scanPairs(redis, throttled))]).values()];
  const answers = await pipelined(redis, (pipeline) => {
    for (const { tenantId, id } of apps) pipeline.get(keys.app(tenantId, id, 'pause')).smembers(keys.app(tenantId, id, 'throttled'));
  });
  return apps.map(({ tenantId, id }, index) => {
    const pausedUntilMs = until(answers[index * 2], now);
    return {
      tenantId,
      clientId: id,
      ...(pausedUntilMs !== undefined ? { pausedUntilMs } : {}),
      throttledMailboxes: [...((answers[index * 2 + 1] as string[] | undefined) ?? [])].sort(),
    };
  });
}

/**
 * One snapshot of the flow-control state under `prefix` (flowKeyPrefix(queue name)). Every mailbox
 * with a flow key is listed (the keys expire some minutes after a mailbox's last send), or only
 * `mailbox` (in every tenant it sends for). Paused apps first, then the largest backlogs.
 */
export async function readFlowState(
  redis: RedisClient,
  prefix: string,
  limits: MailboxLimits,
  now: number,
  options: { mailbox?: string } = {},
): Promise<FlowState> {
  const keys = new FlowKeys(prefix);
  const found = new Map<string, { tenantId: string; id: string }>();
  for (const kind of ['next', 'pause', 'sending', 'sent'] as const) {
    const shape = keyShape((tenantId, mailbox) => keys.mailbox(tenantId, mailbox, kind));
    for (const [key, pair] of await scanPairs(redis, shape, options.mailbox)) found.set(key, pair);
  }
  const [apps, mailboxes] = await Promise.all([readApps(redis, keys, now), readMailboxes(redis, keys, limits, [...found.values()], now)]);
  return {
    apps: apps.sort(
      (a, b) =>
        (b.pausedUntilMs ?? 0) - (a.pausedUntilMs ?? 0) || a.tenantId.localeCompare(b.tenantId) || a.clientId.localeCompare(b.clientId),
    ),
    mailboxes: mailboxes.sort(
      (a, b) =>
        b.reservedBacklog - a.reservedBacklog ||
        (b.pausedUntilMs ?? 0) - (a.pausedUntilMs ?? 0) ||
        b.inFlight - a.inFlight ||
        a.mailbox.localeCompare(b.mailbox) ||
        a.tenantId.localeCompare(b.tenantId),
    ),
  };
}
