// How an attempt ends: the delivery record is written, observers are told, and BullMQ learns
// whether the job is done, waits, retries or has failed for good.
import { UnrecoverableError, type Job } from 'bullmq';
import { maskFailureAddresses } from '../delivery/address-masking';
import { type AttemptOutcome, DeliveryError, describeFailure, type Failure, type EmailJob } from '@omikai/graph-mailer-client';
import { throttleScope } from '../flow/flow-policy';
import type { SendRoute } from '../settings/resolve-sender';
import { decideRetry } from './retry-policy';
import type { ResolvedDependencies, SendEmailResult } from './send-email-job';
import { guardStore, StoreFailedError, StoreUnavailableError } from './store-guard';

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
  begun?: boolean;
}

/** Thrown for a retryable failure; the worker's backoff strategy reads `delayMs`. */
export class RetryLaterError extends DeliveryError {
  override name = 'RetryLaterError';

  constructor(
    failure: Failure,
    readonly delayMs: number,
  ) {
    super(failure);
    // BullMQ keeps each attempt's message: with the category and request-id, every attempt is traceable.
    this.message = describeFailure(failure);
  }
}

/** Kept in the job's progress when Graph accepted the e-mail but the record could not be written. */
interface SentAwaitingRecord {
  sentAwaitingRecord: Omit<Extract<AttemptOutcome, { status: 'sent' }>, 'now'> & { at: string };
}

/** True when the job's e-mail was sent and only its delivery record is still to be written. */
export function hasPendingRecord(job: Job): boolean {
  return pendingRecordOf(job) !== undefined;
}

function pendingRecordOf(job: Job): SentAwaitingRecord['sentAwaitingRecord'] | undefined {
  const progress = job.progress as Partial<SentAwaitingRecord> | number | undefined;
  return typeof progress === 'object' && progress !== null ? progress.sentAwaitingRecord : undefined;
}

/**
 * A job whose e-mail went out while the delivery store was down comes back here: only the record
 * is written, the e-mail is never sent again.
 */
export async function finishPendingRecord(deps: ResolvedDependencies, control: JobControl): Promise<SendEmailResult | undefined> {
  const pending = pendingRecordOf(control.job);
  if (!pending) return undefined;
  const { at, ...outcome } = pending;
  await guardStore(
    'deliveries',
    () => deps.deliveries.finishAttempt(control.jobId, { ...outcome, now: new Date(at) }),
    deps.storeHealth,
    deps.now,
  );
  deps.logger.info({ jobId: control.jobId, graphRequestId: outcome.graphRequestId }, 'delivery record written after the store came back');
  return {
    status: 'sent',
    sender: outcome.sender,
    senderSource: outcome.senderSource,
    ...(outcome.graphRequestId ? { graphRequestId: outcome.graphRequestId } : {}),
  };
}

export async function recordSent(
  deps: ResolvedDependencies,
  control: JobControl,
  { jobId, email, number: attemptNumber, clientRequestId, startedAtMs }: AttemptState,
  route: SendRoute,
  graphRequestId?: string,
  { confirmedBy, ...messageIds }: { graphMessageId?: string; internetMessageId?: string; confirmedBy?: string } = {},
): Promise<SendEmailResult> {
  const { now } = deps;
  const outcome = {
    status: 'sent' as const,
    sender: route.sender,
    senderSource: route.senderSource,
    senderFallbackReason: route.fallbackReason,
    ...(graphRequestId ? { graphRequestId } : {}),
    clientRequestId,
    ...messageIds,
  };
  deps.observer?.onAttempt({ jobId, accountId: email.accountId, sender: route.sender, outcome: 'sent', durationMs: now() - startedAtMs });
  deps.logger.info(
    {
      jobId,
      sender: route.sender,
      senderSource: route.senderSource,
      graphRequestId,
      attempt: attemptNumber,
      durationMs: now() - startedAtMs,
      ...(confirmedBy ? { confirmedBy } : {}),
    },
    'e-mail sent',
  );
  try {
    await guardStore('deliveries', () => deps.deliveries.finishAttempt(jobId, { ...outcome, now: new Date(now()) }), deps.storeHealth, now);
  } catch (err: unknown) {
    if (!(err instanceof StoreUnavailableError) && !(err instanceof StoreFailedError)) throw err;
    // The e-mail is out; remember that in Redis so the retry only writes the record.
    const pending: SentAwaitingRecord = { sentAwaitingRecord: { ...outcome, at: new Date(now()).toISOString() } };
    await control.job.updateProgress(pending as unknown as object);
    throw err;
  }
  return { status: 'sent', sender: route.sender, senderSource: route.senderSource, ...(graphRequestId ? { graphRequestId } : {}) };
}

/**
 * Records a failed attempt and tells BullMQ what to do next: wait, retry, or give up. Recipient
 * addresses in the failure's text are masked first, so neither the record, the log, the
 * failedReason nor the attempt's error carries one.
 */
export async function settleFailure(
  deps: ResolvedDependencies,
  control: JobControl,
  attempt: AttemptState,
  unmaskedFailure: Failure,
): Promise<never> {
  const { now } = deps;
  const { jobId, email, route } = attempt;
  const failure = maskFailureAddresses(unmaskedFailure, { email, ...(route ? { sender: route.sender } : {}) });
  // Flow state is keyed by the token's tenant: a throttle before any token (Entra's) is an ordinary retry.
  const throttlePause =
    failure.category === 'throttled' && deps.flow && route && attempt.tenantId !== undefined
      ? await deps.flow.throttled(
          { jobId, mailbox: route.sender, tenantId: attempt.tenantId, clientId: route.credentials.clientId, recipients: 0 },
          throttleScope(failure),
          failure.retryAfterMs ?? deps.retryPolicy.baseDelayMs,
          now(),
        )
      : undefined;
  const decision = decideRetry(failure, deps.retryPolicy, {
    attempt: attempt.number,
    maxAttempts: control.job.opts.attempts ?? 1,
    random: deps.random(),
    ...(throttlePause ? { throttlePause: { waitMs: throttlePause.retryAtMs - now(), deferrals: throttlePause.deferrals } } : {}),
  });
  const finalFailure = decision.action === 'fail' ? decision.failure : failure;
  await guardStore(
    'deliveries',
    () =>
      deps.deliveries.finishAttempt(jobId, {
        status: decision.action === 'fail' ? 'failed' : 'retrying',
        error: finalFailure,
        ...(route ? { sender: route.sender, senderSource: route.senderSource, senderFallbackReason: route.fallbackReason } : {}),
        clientRequestId: attempt.clientRequestId,
        possibleDuplicate: failure.category === 'unknown-outcome',
        now: new Date(now()),
      }),
    deps.storeHealth,
    now,
  );
  const logFields = {
    jobId,
    accountId: email.accountId,
    sender: route?.sender,
    attempt: attempt.number,
    category: failure.category,
    code: failure.code,
    detail: failure.detail,
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
    deps.logger.error({ ...logFields, reason: finalFailure.reason }, 'send failed');
    throw new UnrecoverableError(describeFailure(finalFailure));
  }
  deps.observer?.onAttempt({ ...report, outcome: 'retry', retryInMs: decision.delayMs });
  deps.logger.warn({ ...logFields, retryInMs: decision.delayMs, pausedScope: throttlePause?.scope }, 'send failed; will retry');
  if (decision.action === 'defer') return control.defer(now() + decision.delayMs);
  throw new RetryLaterError(failure, decision.delayMs);
}
