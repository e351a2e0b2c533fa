// What a worker does with one e-mail job: resolve the sender, get a token, send, record the result,
// and tell BullMQ whether to retry. Every I/O dependency is passed in.
import { randomUUID } from 'node:crypto';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { AttemptStart, DeliveryStore } from '../delivery/delivery-store';
import { DeliveryError, toError, type Failure, type FailureCategory } from '../delivery/failure';
import { classifySendResult } from '../graph/classify-send-result';
import type { GraphMailClient } from '../graph/graph-mail-client';
import { buildSendMailBody } from '../graph/send-mail-body';
import type { TokenProvider } from '../graph/token-provider';
import { countRecipients, parseEmailJob, type EmailJob } from '../jobs/email-job';
import { resolveSender, type SendRoute } from '../settings/resolve-sender';
import type { SettingsStore } from '../settings/settings-store';
import { throttleScope } from '../flow/flow-policy';
import type { FlowGate, SendTicket } from '../flow/mailbox-gate';
import { decideRetry, type RetryPolicy } from './retry-policy';

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
}

export interface SendEmailDependencies {
  settings: SettingsStore;
  graphProviderValue: string;
  tokens: TokenProvider;
  graph: Pick<GraphMailClient, 'sendMail'>;
  deliveries: DeliveryStore;
  retryPolicy: RetryPolicy;
  logger: Logger;
  /** Per-mailbox limits; without it every job may send at once and throttles are ordinary retries. */
  flow?: FlowGate;
  observer?: SendObserver;
  now?: () => number;
  random?: () => number;
}

export type SendEmailResult =
  | { status: 'sent'; sender: string; senderSource: 'account' | 'user'; graphRequestId?: string; deliveryRecorded: boolean }
  | { status: 'already-sent'; graphRequestId?: string }
  | { status: 'duplicate'; duplicateOfJobId: string };

/** Thrown for a retryable failure; the worker's backoff strategy reads `delayMs`. */
export class RetryLaterError extends DeliveryError {
  override name = 'RetryLaterError';

  constructor(
    failure: Failure,
    readonly delayMs: number,
  ) {
    super(failure);
  }
}

/** The text BullMQ stores as the job's failedReason: category first, then the reason for people. */
export function describeFailure(failure: Failure): string {
  return `[${failure.category}] ${failure.reason}${failure.graphRequestId ? ` (Graph request-id ${failure.graphRequestId})` : ''}`;
}

/** Errors that were not already turned into a Failure: the store or something unforeseen; retried. */
function unexpectedFailure(err: unknown): Failure {
  const error = toError(err);
  return {
    category: 'transient',
    code: error.name,
    reason: `Could not complete the attempt (${error.name}: ${error.message}); retrying later.`,
  };
}

interface AttemptState {
  jobId: string;
  email: EmailJob;
  /** 1 for the first attempt. */
  number: number;
  startedAtMs: number;
  clientRequestId: string;
  route?: SendRoute;
  begun?: boolean;
}

export function createSendEmailProcessor(deps: SendEmailDependencies) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { deliveries, logger } = deps;

  async function failInvalidPayload(job: Job, err: unknown): Promise<never> {
    const failure: Failure = { category: 'invalid-payload', code: 'InvalidJobPayload', reason: toError(err).message };
    logger.error({ jobId: job.id, reason: failure.reason }, 'e-mail job does not match the job contract');
    deps.observer?.onAttempt({ jobId: job.id ?? '', accountId: '', outcome: 'failed', category: failure.category, durationMs: 0 });
    throw new UnrecoverableError(describeFailure(failure));
  }

  async function resolveRoute(email: EmailJob): Promise<SendRoute> {
    const [account, user] = await Promise.all([
      deps.settings.findAccount(email.accountId),
      email.userId === undefined ? null : deps.settings.findUser(email.userId),
    ]);
    return resolveSender({ accountId: email.accountId, userId: email.userId, account, user, graphProviderValue: deps.graphProviderValue });
  }

  return async function sendEmailJob(job: Job, lockToken?: string): Promise<SendEmailResult> {
    const jobId = job.id ?? '';
    let email: EmailJob;
    try {
      email = parseEmailJob(job.data);
    } catch (err: unknown) {
      return failInvalidPayload(job, err);
    }
    const defer = async (untilMs: number): Promise<never> => {
      await job.moveToDelayed(untilMs, lockToken);
      throw new DelayedError();
    };
    const attemptStart = {
      jobId,
      accountId: email.accountId,
      ...(email.userId !== undefined ? { userId: email.userId } : {}),
      subject: email.subject,
      recipientCount: countRecipients(email),
      ...(email.correlation ? { correlation: email.correlation } : {}),
      ...(email.idempotencyKey !== undefined ? { idempotencyKey: email.idempotencyKey } : {}),
    };

    // A job written by another producer may carry sendAt without a BullMQ delay: wait here.
    const sendAtMs = email.sendAt === undefined ? undefined : Date.parse(email.sendAt);
    if (sendAtMs !== undefined && sendAtMs > now() + 1000) {
      await deliveries.startAttempt({ ...attemptStart, status: 'queued', now: new Date(now()) });
      return defer(sendAtMs);
    }

    const attempt: AttemptState = { jobId, email, number: job.attemptsMade + 1, startedAtMs: now(), clientRequestId: randomUUID() };
    let release = async () => {};
    let failure: Failure;
    try {
      attempt.route = await resolveRoute(email);
      const ticket = ticketFor(attempt);
      if (deps.flow && ticket) {
        // Over its mailbox's limits the job waits, without using an attempt and without blocking other mailboxes.
        const admission = await deps.flow.admit(ticket, now());
        if (admission.kind === 'wait') return await defer(admission.untilMs);
        release = admission.release;
      }
      const skipped = await beginAttempt(attempt, attemptStart);
      if (skipped) return skipped;
      const accessToken = await deps.tokens.getAccessToken(attempt.route.credentials);
      const result = await deps.graph.sendMail(attempt.route, buildSendMailBody(email), accessToken, attempt.clientRequestId);
      const classification = classifySendResult(result, attempt.route, now());
      if (classification.kind === 'sent') return await recordSent(attempt, attempt.route, classification.graphRequestId);
      failure = classification.failure;
    } catch (err: unknown) {
      if (err instanceof DelayedError) throw err;
      failure = err instanceof DeliveryError ? err.failure : unexpectedFailure(err);
      // A settings problem is found before the record exists; it still needs one.
      if (!attempt.begun) {
        const skipped = await beginAttempt(attempt, attemptStart);
        if (skipped) return skipped;
      }
    } finally {
      await release();
    }
    return settleFailure(job, attempt, failure, defer);
  };

  /** Opens (or reopens) the delivery record; returns a result when the e-mail must not be sent. */
  async function beginAttempt(
    attempt: AttemptState,
    attemptStart: Omit<AttemptStart, 'status' | 'now'>,
  ): Promise<SendEmailResult | undefined> {
    const start = await deliveries.startAttempt({ ...attemptStart, status: 'sending', now: new Date(now()) });
    const { jobId } = attemptStart;
    if (start.action === 'send') {
      attempt.begun = true;
      return undefined;
    }
    deps.observer?.onAttempt({ jobId, accountId: attemptStart.accountId, outcome: 'skipped', durationMs: 0 });
    if (start.action === 'already-sent') {
      logger.info({ jobId }, 'delivery record already says sent; not sending again');
      return { status: 'already-sent', ...(start.record.graphRequestId ? { graphRequestId: start.record.graphRequestId } : {}) };
    }
    logger.info({ jobId, duplicateOfJobId: start.record.jobId }, 'same idempotency key as another job; not sending');
    return { status: 'duplicate', duplicateOfJobId: start.record.jobId };
  }

  function ticketFor({ jobId, email, route }: AttemptState): SendTicket | undefined {
    return route && { jobId, mailbox: route.sender, tenantId: route.credentials.tenantId, recipients: countRecipients(email) };
  }

  /** Records a failed attempt and tells BullMQ what to do next: wait, retry, or give up. */
  async function settleFailure(
    job: Job,
    attempt: AttemptState,
    failure: Failure,
    defer: (untilMs: number) => Promise<never>,
  ): Promise<never> {
    const { jobId, email, route } = attempt;
    const ticket = ticketFor(attempt);
    const throttlePause =
      failure.category === 'throttled' && deps.flow && ticket
        ? await deps.flow.throttled(ticket, throttleScope(failure), failure.retryAfterMs ?? deps.retryPolicy.baseDelayMs, now())
        : undefined;
    const decision = decideRetry(failure, deps.retryPolicy, {
      attempt: attempt.number,
      maxAttempts: job.opts.attempts ?? 1,
      random: random(),
      ...(throttlePause ? { throttlePause: { waitMs: throttlePause.retryAtMs - now(), deferrals: throttlePause.deferrals } } : {}),
    });
    const finalFailure = decision.action === 'fail' ? decision.failure : failure;
    await deliveries.finishAttempt(jobId, {
      status: decision.action === 'fail' ? 'failed' : 'retrying',
      error: finalFailure,
      ...(route ? { sender: route.sender, senderSource: route.senderSource, senderFallbackReason: route.fallbackReason } : {}),
      clientRequestId: attempt.clientRequestId,
      possibleDuplicate: failure.category === 'unknown-outcome',
      now: new Date(now()),
    });
    const logFields = {
      jobId,
      accountId: email.accountId,
      sender: route?.sender,
      attempt: attempt.number,
      category: failure.category,
      code: failure.code,
      graphRequestId: failure.graphRequestId,
    };
    const report = {
      jobId,
      accountId: email.accountId,
      sender: route?.sender,
      category: failure.category,
      durationMs: now() - attempt.startedAtMs,
    };
    if (decision.action === 'fail') {
      deps.observer?.onAttempt({ ...report, outcome: 'failed' });
      logger.error({ ...logFields, reason: finalFailure.reason }, 'send failed');
      throw new UnrecoverableError(describeFailure(finalFailure));
    }
    deps.observer?.onAttempt({ ...report, outcome: 'retry', retryInMs: decision.delayMs });
    logger.warn({ ...logFields, retryInMs: decision.delayMs, pausedScope: throttlePause?.scope }, 'send failed; will retry');
    if (decision.action === 'defer') return defer(now() + decision.delayMs);
    throw new RetryLaterError(failure, decision.delayMs);
  }

  async function recordSent(
    { jobId, email, number: attemptNumber, clientRequestId, startedAtMs }: AttemptState,
    route: SendRoute,
    graphRequestId?: string,
  ): Promise<SendEmailResult> {
    const accountId = email.accountId;
    let deliveryRecorded = true;
    try {
      await deliveries.finishAttempt(jobId, {
        status: 'sent',
        sender: route.sender,
        senderSource: route.senderSource,
        senderFallbackReason: route.fallbackReason,
        ...(graphRequestId ? { graphRequestId } : {}),
        clientRequestId,
        now: new Date(now()),
      });
    } catch (err: unknown) {
      // The e-mail is out: failing the job now would send it again. The job's result keeps the facts.
      deliveryRecorded = false;
      logger.error({ jobId, err: toError(err), graphRequestId }, 'e-mail sent but the delivery record could not be updated');
    }
    deps.observer?.onAttempt({ jobId, accountId, sender: route.sender, outcome: 'sent', durationMs: now() - startedAtMs });
    logger.info(
      {
        jobId,
        sender: route.sender,
        senderSource: route.senderSource,
        graphRequestId,
        attempt: attemptNumber,
        durationMs: now() - startedAtMs,
      },
      'e-mail sent',
    );
    return {
      status: 'sent',
      sender: route.sender,
      senderSource: route.senderSource,
      ...(graphRequestId ? { graphRequestId } : {}),
      deliveryRecorded,
    };
  }
}
