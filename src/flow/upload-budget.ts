// Outlook's upload budget: 150 MB of uploads (PATCH, POST, PUT) per 5 minutes per app and mailbox.
// A draft e-mail reserves its bytes before its first upload, across all worker processes; over the
// budget it waits (without an attempt) until enough of the window's earlier uploads have aged out.
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@omikai/graph-mailer-client';
import { FlowKeys } from './flow-keys';

export interface UploadBudgetLimits {
  bytesPerWindow: number;
  windowMs: number;
}

export type UploadAdmission = { kind: 'go' } | { kind: 'wait'; untilMs: number };

export interface UploadBudget {
  reserve(
    ticket: { tenantId: string; clientId: string; mailbox: string; jobId: string },
    bytes: number,
    now: number,
  ): Promise<UploadAdmission>;
}

/**
 * KEYS[1]: the mailbox's upload log for this app, a sorted set of "<bytes>:<job>:<nonce>" scored by time.
 * ARGV: now, window ms, budget bytes, bytes wanted, member.
 * Returns 0 when the bytes are reserved, else the time (ms) at which enough bytes will have aged out.
 * A single e-mail larger than the whole budget is admitted into an empty window, so it is never stuck.
 */
const RESERVE_UPLOAD = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local budget = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local used = 0
for i = 1, #entries, 2 do used = used + tonumber(string.match(entries[i], '^(%d+):')) end
if used == 0 or used + wanted <= budget then
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local freed = 0
for i = 1, #entries, 2 do
  freed = freed + tonumber(string.match(entries[i], '^(%d+):'))
  if used - freed + wanted <= budget then return tonumber(entries[i + 1]) + window + 1 end
end
return now + window
`;

type RedisWithUpload = RedisClient & {
  reserveUpload(key: string, now: number, windowMs: number, budget: number, bytes: number, member: string): Promise<number>;
};

export class RedisUploadBudget implements UploadBudget {
  private readonly redis: RedisWithUpload;
  private readonly keys: FlowKeys;

  constructor(
    redis: RedisClient,
    private readonly limits: UploadBudgetLimits,
    prefix: string,
  ) {
    this.keys = new FlowKeys(prefix);
    redis.defineCommand('reserveUpload', { numberOfKeys: 1, lua: RESERVE_UPLOAD });
    this.redis = redis as RedisWithUpload;
  }

  /** The key of one app's uploads into one mailbox, under the tenant's hash tag. */
  key(tenantId: string, clientId: string, mailbox: string): string {
    return `${this.keys.prefix}${this.keys.tenantTag(tenantId)}:app:${clientId.toLowerCase()}:mbx:${mailbox.toLowerCase()}:upload`;
  }

  async reserve(
    ticket: { tenantId: string; clientId: string; mailbox: string; jobId: string },
    bytes: number,
    now: number,
  ): Promise<UploadAdmission> {
    const member = `${Math.max(0, Math.round(bytes))}:${ticket.jobId}:${randomUUID()}`;
    const untilMs = await this.redis.reserveUpload(
      this.key(ticket.tenantId, ticket.clientId, ticket.mailbox),
      now,
      this.limits.windowMs,
      this.limits.bytesPerWindow,
      Math.round(bytes),
      member,
    );
    return untilMs === 0 ? { kind: 'go' } : { kind: 'wait', untilMs };
  }
}
