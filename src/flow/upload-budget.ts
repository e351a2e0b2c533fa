// Outlook's upload budget: 150 MB of uploads (PATCH, POST, PUT) per 5 minutes per app and mailbox.
// A draft e-mail reserves its bytes before its first upload, across all worker processes; over the
// budget it waits (without an attempt) until enough of the window's earlier uploads have aged out.
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@omikai/graph-mailer-client';
import { FlowKeys } from './flow-keys';
import { loadLuaScript } from './lua-script';

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

/** Reserves bytes in a rolling window, or says when they will fit (lua/reserve-upload-1.lua). */
const RESERVE_UPLOAD = loadLuaScript('reserve-upload-1.lua');

interface ReserveUploadArgs {
  now: number;
  windowMs: number;
  budgetBytes: number;
  bytes: number;
  member: string;
}

type RedisWithUpload = RedisClient & {
  reserveUpload(key: string, ...args: (string | number)[]): Promise<number>;
};

/** ARGV in the order the script's header lists them. */
function reserveUploadArgv(args: ReserveUploadArgs): (string | number)[] {
  return [args.now, args.windowMs, args.budgetBytes, args.bytes, args.member];
}

export class RedisUploadBudget implements UploadBudget {
  private readonly redis: RedisWithUpload;
  private readonly keys: FlowKeys;

  constructor(
    redis: RedisClient,
    private readonly limits: UploadBudgetLimits,
    prefix: string,
  ) {
    this.keys = new FlowKeys(prefix);
    redis.defineCommand(RESERVE_UPLOAD.name, RESERVE_UPLOAD);
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
      ...reserveUploadArgv({
        now,
        windowMs: this.limits.windowMs,
        budgetBytes: this.limits.bytesPerWindow,
        bytes: Math.round(bytes),
        member,
      }),
    );
    return untilMs === 0 ? { kind: 'go' } : { kind: 'wait', untilMs };
  }
}
