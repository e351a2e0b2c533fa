// Delivery records: one per job, the lasting history of what was sent, by whom, and why not.
import type { Failure } from './failure';

/** 'cancelled': an operator stopped the e-mail (ops cancel or the dashboard); no later attempt sends it. */
export type DeliveryStatus = 'queued' | 'sending' | 'retrying' | 'sent' | 'failed' | 'cancelled';

export interface DeliveryRecord {
  jobId: string;
  accountId: string;
  userId?: string;
  status: DeliveryStatus;
  /** Send attempts started (a scheduled job waiting for sendAt has 0). */
  attempts: number;
  subject?: string;
  recipientCount: number;
  sender?: string;
  senderSource?: 'account' | 'user';
  /** Why a named user's own sender was not used. */
  senderFallbackReason?: string;
  correlation?: Record<string, string>;
  idempotencyKey?: string;
  graphRequestId?: string;
  clientRequestId?: string;
  /** Draft mode: the message's immutable id in the sender's mailbox (the Sent Items copy keeps it). */
  graphMessageId?: string;
  /** Draft mode: the Internet Message-ID header, for finding the e-mail in the mailbox or matching a bounce. */
  internetMessageId?: string;
  /** Graph may have sent this e-mail more than once (an attempt's outcome was unknown, then it was retried). */
  possibleDuplicate: boolean;
  error?: Failure;
  createdAt: Date;
  updatedAt: Date;
  sentAt?: Date;
  failedAt?: Date;
  cancelledAt?: Date;
  /** Who cancelled: a dashboard user name, or the CLI's user@host. */
  cancelledBy?: string;
}

export interface AttemptStart {
  jobId: string;
  accountId: string;
  userId?: string;
  subject: string;
  recipientCount: number;
  correlation?: Record<string, string>;
  idempotencyKey?: string;
  /** 'queued' records a job that waits for its sendAt; it does not count as an attempt. */
  status: 'queued' | 'sending';
  now: Date;
}

export type AttemptStartResult =
  /** Go ahead and send. `possibleDuplicate`: an earlier attempt of this job may have been sent. */
  | { action: 'send'; possibleDuplicate: boolean }
  /** This job's record already says sent (e.g. the job was re-added after Redis lost it). */
  | { action: 'already-sent'; record: DeliveryRecord }
  /** Another job with the same account and idempotency key owns this e-mail. */
  | { action: 'duplicate'; record: DeliveryRecord }
  /** An operator cancelled this job: do not send. */
  | { action: 'cancelled'; record: DeliveryRecord };

export type AttemptOutcome =
  | {
      status: 'sent';
      sender: string;
      senderSource: 'account' | 'user';
      senderFallbackReason?: string;
      graphRequestId?: string;
      clientRequestId: string;
      graphMessageId?: string;
      internetMessageId?: string;
      now: Date;
    }
  | {
      status: 'retrying' | 'failed';
      error: Failure;
      sender?: string;
      senderSource?: 'account' | 'user';
      senderFallbackReason?: string;
      clientRequestId?: string;
      /** Set when this attempt may have reached the recipient although it failed. */
      possibleDuplicate?: boolean;
      now: Date;
    };

export interface CancelRequest {
  jobId: string;
  /** The job's own facts, kept when the job never started an attempt (it has no record yet). */
  accountId: string;
  userId?: string;
  subject?: string;
  recipientCount: number;
  correlation?: Record<string, string>;
  idempotencyKey?: string;
  /** Who cancels: a dashboard user name, or the CLI's user@host. */
  by: string;
  now: Date;
}

export type CancelResult = { outcome: 'cancelled' | 'already-cancelled' | 'already-sent'; record: DeliveryRecord };

export interface DeliveryQuery {
  jobId?: string;
  accountId?: string;
  idempotencyKey?: string;
  /** Matches records whose correlation has all these fields. */
  correlation?: Record<string, string>;
  limit?: number;
}

/** finishAttempt for a job whose attempt was never started: a bug in the caller, not an outage. */
export class DeliveryRecordNotFoundError extends Error {
  override name = 'DeliveryRecordNotFoundError';

  constructor(readonly jobId: string) {
    super(`No delivery record for job ${jobId}: finishAttempt without startAttempt`);
  }
}

export interface DeliveryStore {
  /**
   * Called before every attempt. Creates the record on the first call; a record found still
   * 'sending' means an attempt died mid-send, so the e-mail may already be out.
   * A failed record with the same idempotency key hands the key over to the new job.
   */
  startAttempt(start: AttemptStart): Promise<AttemptStartResult>;
  /**
   * Records how an attempt ended. A record that already says sent stays sent; one that says
   * cancelled stays cancelled unless the outcome is sent (the e-mail went out after all).
   */
  finishAttempt(jobId: string, outcome: AttemptOutcome): Promise<void>;
  /** Newest first, at most `limit` (default 100). */
  find(query: DeliveryQuery): Promise<DeliveryRecord[]>;
}

/** How ops cancel (CLI and dashboard) writes its decision; the send path never cancels. */
export interface DeliveryCancellation {
  /**
   * Marks the job's e-mail cancelled, creating the record from the request when the job never
   * started; a sent record is left alone. A record whose idempotency key another job owns is
   * created without the key. A cancelled record hands its key over, as a failed one does.
   */
  cancel(request: CancelRequest): Promise<CancelResult>;
}
