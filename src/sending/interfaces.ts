// The types the send path's modules share, in one file so they never import each other in circles.
// Glossary:
//   job      - one BullMQ job of the e-mail queue; it may take several attempts.
//   attempt  - one run of the processor on a job: resolve the sender, wait for the mailbox, send, record.
//   record   - the job's delivery record (DeliveryStore): opened when an attempt is claimed, finished
//              with an AttemptOutcome when the attempt ends.
//   settle   - end an attempt: write the record, tell the observers, and tell BullMQ what comes next.
//   defer    - put a job back until a time without using an attempt (mailbox limits, sendAt, store outage).
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { DeliveryStore, EmailJob, FailureCategory, PayloadReader } from '@omikai/graph-mailer-client';
import type { FlowGate } from '../flow/mailbox-gate';
import type { UploadBudget } from '../flow/upload-budget';
import type { GraphMailClient } from '../graph/graph-mail-client';
import type { TokenProvider } from '../graph/token-provider';
import type { SendRoute } from '../settings/resolve-sender';
import type { SettingsStore } from '../settings/settings-store';
import type { DraftGraph } from './draft-send';
import type { RetryPolicy } from './retry-policy';
import type { StoreHealth } from './store-guard';

/** What one attempt came to, for metrics and other observers; never carries message content. */
export interface AttemptReport {
  jobId: string;
  accountId: string;
  sender?: string;
  outcome: 'sent' | 'retry' | 'failed' | 'skipped';
  category?: FailureCategory;
  /** From the start of the attempt to its outcome (settings, token and sendMail). */
  durationMs: number;
  /** For 'retry': how long until the next attempt. */
  retryInMs?: number;
}

export interface SendObserver {
  onAttempt(report: AttemptReport): void;
  /** A job written by a newer client than this worker understands was put back (rolling upgrades). */
  onNewerSchema?(schemaVersion: number): void;
}

export interface SendEmailDependencies {
  settings: SettingsStore;
  graphProviderValue: string;
  tokens: TokenProvider;
  graph: Pick<GraphMailClient, 'sendMail'>;
  deliveries: DeliveryStore;
  /** Where content behind a job's reference is read; without it such jobs fail as [content-missing]. */
  payloads?: PayloadReader;
  retryPolicy: RetryPolicy;
  logger: Logger;
  /** Per-mailbox limits; without it every job may send at once and throttles are ordinary retries. */
  flow?: FlowGate;
  /** Draft-based sending (microsoftGraph.sendMode draft or auto); without it every e-mail goes by sendMail. */
  drafts?: DraftSending;
  /** Outlook's upload bytes per app and mailbox; without it draft uploads are not paced. */
  uploads?: UploadBudget;
  observer?: SendObserver;
  /** Where permanent store errors are noted for /readyz; a fresh one when not given. */
  storeHealth?: StoreHealth;
  now?: () => number;
  random?: () => number;
}

export interface DraftSending {
  graph: DraftGraph;
  uploadOrigin?: string;
  confirmWindowMs: number;
  confirmIntervalMs: number;
  /** Default a timer; tests pass their own. */
  sleep?: (ms: number) => Promise<void>;
}

export type SendEmailResult =
  | { status: 'sent'; sender: string; senderSource: 'account' | 'user'; graphRequestId?: string }
  | { status: 'already-sent'; graphRequestId?: string }
  | { status: 'duplicate'; duplicateOfJobId: string }
  /** An operator cancelled the e-mail (ops cancel); it is not sent. */
  | { status: 'cancelled' };

export type ResolvedDependencies = Required<Omit<SendEmailDependencies, 'flow' | 'observer' | 'drafts' | 'uploads' | 'payloads'>> &
  Pick<SendEmailDependencies, 'flow' | 'observer' | 'drafts' | 'uploads' | 'payloads'>;

export interface JobControl {
  job: Job;
  jobId: string;
  /** Puts the job back until `untilMs` without using an attempt. */
  defer(untilMs: number): Promise<never>;
}

export interface AttemptState {
  jobId: string;
  email: EmailJob;
  /** 1 for the first attempt. */
  number: number;
  startedAtMs: number;
  clientRequestId: string;
  route?: SendRoute;
  /** The tenant of the attempt's token (its tid); unset when no token was obtained. */
  tenantId?: string;
  /** Set once the delivery record is claimed for this attempt (claimAttempt). */
  claimed?: boolean;
}
