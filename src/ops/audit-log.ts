// The audit trail of operator actions (dashboard writes, CLI cancel and retry): who did what to which
// jobs, and how it ended. One log line per action, with `audit: true` so it can be filtered and kept.
import { hostname, userInfo } from 'node:os';
import type { Logger } from 'pino';

/** Job ids listed in one entry; a bulk action beyond this logs the first ones and the count. */
export const MAX_AUDITED_JOB_IDS = 1000;

export interface AuditEntry {
  /** A dashboard user name, or the CLI's user@host. */
  actor: string;
  via: 'dashboard' | 'cli';
  /** What was done: `cancel`, `retry`, or the dashboard route, e.g. `PUT /api/queues/:queueName/:jobId/retry`. */
  action: string;
  /** The request path as called (dashboard), with the queue name and job id filled in. */
  path?: string;
  /** The role the actor had (dashboard). */
  role?: string;
  /** The jobs the action named or touched. */
  jobIds?: string[];
  /** How many jobs the action named or touched, when more than jobIds lists. */
  jobCount?: number;
  /** For bulk routes: the job state they act on (e.g. clean failed). */
  queueStatus?: string;
  dryRun?: boolean;
  /** done: the action ran; refused: a rule or the role stopped it; partial: some jobs were not done; failed: an error. */
  result: 'done' | 'refused' | 'partial' | 'failed';
  /** The HTTP status the dashboard answered. */
  status?: number;
  /** Per-outcome counts (CLI cancel and retry). */
  outcomes?: Record<string, number>;
  /** Why it was refused or failed, for people. */
  reason?: string;
}

export interface AuditLog {
  record(entry: AuditEntry): void;
}

/** Caps the job id list of an entry, keeping the count. */
export function auditedJobIds(jobIds: readonly string[]): Pick<AuditEntry, 'jobIds' | 'jobCount'> {
  return jobIds.length <= MAX_AUDITED_JOB_IDS
    ? { jobIds: [...jobIds] }
    : { jobIds: jobIds.slice(0, MAX_AUDITED_JOB_IDS), jobCount: jobIds.length };
}

/** Writes audit entries as info lines of `logger` (pino escapes every value it writes). */
export function loggerAuditLog(logger: Logger): AuditLog {
  return {
    record(entry) {
      logger.info({ audit: true, ...entry }, `audit: ${entry.actor} ${entry.action} (${entry.result})`);
    },
  };
}

/** The CLI's actor: the operating-system user and host it runs as. */
export function cliActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still tells where it ran.
  }
  return `${user}@${hostname()}`;
}
