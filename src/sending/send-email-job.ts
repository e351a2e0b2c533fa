// What a worker does with one e-mail job: resolve the sender, wait for the mailbox's turn, get a
// token, send, record the result, and tell BullMQ what comes next. Every I/O dependency is passed in.
import { randomUUID } from 'node:crypto';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { maskAddresses } from '../delivery/address-masking';
import {
  type AttemptStart,
  type DeliveryRecord,
  type DeliveryStore,
  DeliveryError,
  clipText,
  describeFailure,
  toError,
  type Failure,
  type FailureCategory,
  DUE_BULK_PRIORITY,
  priorityOfJob,
  buildSendMailBody,
  sendMailBodyBytes,
  ACCEPTED_SCHEMA_VERSIONS,
  EmailJobValidationError,
  countRecipients,
  parseEmailJob,
  type EmailJob,
  type PayloadReader,
} from '@omikai/graph-mailer-client';
import type { FlowGate, SendTicket } from '../flow/mailbox-gate';
import { classifySendResult } from '../graph/classify-send-result';
import type { GraphMailClient } from '../graph/graph-mail-client';
import { cloudHasUploadSessions } from '../graph/upload-url';
import type { UploadBudget } from '../flow/upload-budget';
import type { AccountSettings } from '../settings/settings-store';
import { readSendModeSettings } from '../settings/send-mode';
import { discardDraft, draftProgressOf } from './draft-cleanup';
import { sendThroughDraft, type DraftGraph } from './draft-send';
import { chooseSendPath, encodedMessageBytes } from './send-path';
import type { TokenProvider } from '../graph/token-provider';
import { resolveSender, type SendRoute } from '../settings/resolve-sender';
import type { SettingsStore } from '../settings/settings-store';
import { finishPendingRecord, hasPendingRecord, recordSent, settleFailure, type AttemptState, type JobControl } from './attempt-outcome';
import type { RetryPolicy } from './retry-policy';
import type { StoreName } from '../storage/store-errors';
import { guardStore, StoreFailedError, StoreHealth, StoreUnavailableError, storeRetryDelayMs } from './store-guard';
import { openEmailContent, type SendableContent } from './job-content';

export { RetryLaterError } from './attempt-outcome';

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

/** How long a job of a newer schemaVersion waits before this (older) worker looks again: upgraded workers take it first. */
export const NEWER_SCHEMA_DELAY_MS = 60_000;

/** Pure: the job's schemaVersion when it is newer than every version this worker accepts. */
export function newerSchemaVersionOf(data: unknown): number | undefined {
  const version = typeof data === 'object' && data !== null ? (data as { schemaVersion?: unknown }).schemaVersion : undefined;
  const newest = Math.max(...ACCEPTED_SCHEMA_VERSIONS);
  return typeof version === 'number' && Number.isInteger(version) && version > newest ? version : undefined;
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

const PAYLOAD_PROBLEMS_CHARS = 250;

export type ResolvedDependencies = Required<Omit<SendEmailDependencies, 'flow' | 'observer' | 'drafts' | 'uploads' | 'payloads'>> &
  Pick<SendEmailDependencies, 'flow' | 'observer' | 'drafts' | 'uploads' | 'payloads'>;

/** Errors that were not already turned into a Failure: something unforeseen; retried with attempts. */
export function unexpectedFailure(err: unknown): Failure {
  const error = toError(err);
  return {
    category: 'transient',
    code: error.name,
    reason: `Could not complete the attempt (${error.name}: ${clipText(error.message, 200)}); retrying later.`,
  };
}

/** A store failure after Graph accepted the e-mail: the reason says first that a retry does not send again. */
export function sentButNotRecorded(failure: Failure): Failure {
  return { ...failure, reason: `The e-mail was sent; a retry only writes its delivery record. ${failure.reason}` };
}

/** Job data that does not match the job contract: the reason names the bad fields (only their paths, when there are many). */
export function invalidPayloadFailure(err: unknown): Failure {
  const problems = err instanceof EmailJobValidationError ? err.problems : [];
  const described = maskAddresses(problems.map((p) => `${p.path || '(job)'}: ${p.message}`).join('; '), {});
  const message =
    problems.length === 0
      ? maskAddresses(toError(err).message, {})
      : described.length <= PAYLOAD_PROBLEMS_CHARS
        ? `Invalid e-mail job: ${described}`
        : `Invalid e-mail job, ${problems.length} fields off the contract: ${problems.map((p) => p.path || '(job)').join(', ')}`;
  return {
    category: 'invalid-payload',
    code: 'InvalidJobPayload',
    reason: `${clipText(message, PAYLOAD_PROBLEMS_CHARS)} Fix: the producer must follow docs/email-job.schema.json.`,
  };
}

export function createSendEmailProcessor(dependencies: SendEmailDependencies) {
  const deps: ResolvedDependencies = { now: Date.now, random: Math.random, storeHealth: new StoreHealth(), ...dependencies };
  const { deliveries, logger, now } = deps;
  const guard = <T>(store: StoreName, call: () => Promise<T>) => guardStore(store, call, deps.storeHealth, now);

  async function resolveRoute(email: EmailJob): Promise<{ route: SendRoute; account: AccountSettings | null }> {
    const [account, user] = await guard('settings', () =>
      Promise.all([deps.settings.findAccount(email.accountId), email.userId === undefined ? null : deps.settings.findUser(email.userId)]),
    );
    const route = resolveSender({
      accountId: email.accountId,
      userId: email.userId,
      account,
      user,
      graphProviderValue: deps.graphProviderValue,
    });
    return { route, account };
  }

  /**
   * direct or draft for this e-mail, from its bodies and its files' sizes (stored files are not read);
   * throws a too-large or settings DeliveryError.
   */
  async function planSend(content: SendableContent, route: SendRoute, account: AccountSettings | null) {
    const { email, attachments } = content;
    const settings = readSendModeSettings(account ?? { accountId: email.accountId });
    if (!deps.drafts) {
      if (settings.mode === 'draft') {
        throw new DeliveryError({ category: 'settings', code: 'DraftModeOff', reason: 'Draft sending is not wired into this worker.' });
      }
      return { path: 'direct' as const, encodedBytes: 0 };
    }
    const cloud = deps.drafts.graph.cloudOf(route);
    const bodyChars = (email.html ?? email.text ?? '').length;
    const encodedBytes = encodedMessageBytes(bodyChars, attachments);
    // Only e-mails near the limit are serialised to measure them (the request holds the base64 as it
    // is); such an e-mail is read whole, which costs at most the 4.5 MB of the band.
    const nearLimit = encodedBytes >= 3_500_000 && encodedBytes <= 4_500_000;
    const requestBytes = nearLimit ? sendMailBodyBytes(buildSendMailBody(await content.inline())) : encodedBytes;
    const path = chooseSendPath({
      accountId: email.accountId,
      sender: route.sender,
      settings,
      cloud,
      uploadSessions: cloudHasUploadSessions(cloud),
      sendMailRequestBytes: () => requestBytes,
      encodedMessageBytes: encodedBytes,
    });
    return { path, encodedBytes };
  }

  function cancelledResult(jobId: string, record: DeliveryRecord): SendEmailResult {
    deps.observer?.onAttempt({ jobId, accountId: record.accountId, outcome: 'skipped', durationMs: 0 });
    logger.info({ jobId, cancelledBy: record.cancelledBy }, 'delivery record says cancelled; not sending');
    return { status: 'cancelled' };
  }

  /** Opens (or reopens) the delivery record; returns a result when the e-mail must not be sent. */
  async function beginAttempt(attempt: AttemptState, start: Omit<AttemptStart, 'status' | 'now'>): Promise<SendEmailResult | undefined> {
    const begun = await guard('deliveries', () => deliveries.startAttempt({ ...start, status: 'sending', now: new Date(now()) }));
    if (begun.action === 'send') {
      attempt.begun = true;
      return undefined;
    }
    if (begun.action === 'cancelled') return cancelledResult(start.jobId, begun.record);
    deps.observer?.onAttempt({ jobId: start.jobId, accountId: start.accountId, outcome: 'skipped', durationMs: 0 });
    if (begun.action === 'already-sent') {
      logger.info({ jobId: start.jobId }, 'delivery record already says sent; not sending again');
      return { status: 'already-sent', ...(begun.record.graphRequestId ? { graphRequestId: begun.record.graphRequestId } : {}) };
    }

    logger.info({ jobId: start.jobId, duplicateOfJobId: begun.record.jobId }, 'same idempotency key as another job; not sending');
    return { status: 'duplicate', duplicateOfJobId: begun.record.jobId };
  }

  async function attemptSend(control: JobControl, email: EmailJob): Promise<SendEmailResult> {
    const { jobId } = control;
    const start = {
      jobId,
      accountId: email.accountId,
      ...(email.userId !== undefined ? { userId: email.userId } : {}),
      subject: email.subject,
      recipientCount: countRecipients(email),
      ...(email.correlation ? { correlation: email.correlation } : {}),
      ...(email.idempotencyKey !== undefined ? { idempotencyKey: email.idempotencyKey } : {}),
    };
    // A job written by another producer may carry sendAt without a BullMQ delay: wait here, to the millisecond.
    const sendAtMs = email.sendAt === undefined ? undefined : Date.parse(email.sendAt);
    if (sendAtMs !== undefined && sendAtMs > now()) {
      const queued = await guard('deliveries', () => deliveries.startAttempt({ ...start, status: 'queued', now: new Date(now()) }));
      if (queued.action === 'cancelled') return cancelledResult(jobId, queued.record);
      return control.defer(sendAtMs);
    }

    const attempt: AttemptState = { jobId, email, number: control.job.attemptsMade + 1, startedAtMs: now(), clientRequestId: randomUUID() };
    let release = async (_answeredAtMs?: number) => {};
    // When Graph's answer arrived: the send is logged then, not after the delivery record is written
    // (a late log entry holds back the mailbox's send one window later, and the next one after that).
    let answeredAtMs: number | undefined;
    /** Set once a draft may exist: a final failure deletes it. */
    let cleanUpDraft: (() => Promise<void>) | undefined;
    try {
      let failure: Failure;
      try {
        const { route, account } = await resolveRoute(email);
        attempt.route = route;
        // The plan needs the bodies and the files' sizes: a stored payload's metadata is checked and its
        // bodies read; its files stream from the store only when a draft uploads them, and sendMail
        // reads them whole (at most 4 MB). A job the mailbox's limits defer opens it again next time.
        const content = await guard('content', () => openEmailContent(email, jobId, deps.payloads));
        const plan = await planSend(content, route, account);
        // The token first (normally cached): the send then leaves right at its reserved slot. The
        // mailbox's budgets are keyed by the tenant Entra issued the token for, so settings cannot
        // point one account at another tenant's state.
        const token = await deps.tokens.getAccessToken(route.credentials);
        attempt.tenantId = token.tenantId;
        const ticket: SendTicket = {
          jobId,
          mailbox: route.sender,
          tenantId: token.tenantId,
          clientId: route.credentials.clientId,
          recipients: start.recipientCount,
          lane: priorityOfJob(control.job.opts),
        };
        if (deps.flow) {
          // Over its mailbox's limits the job waits, without using an attempt and without blocking other mailboxes.
          const admission = await deps.flow.admit(ticket, now());
          if (admission.kind === 'wait') return await control.defer(admission.untilMs);
          release = admission.release;
        }
        if (plan.path === 'draft' && deps.uploads) {
          // Outlook meters upload bytes per app and mailbox: a large e-mail waits for room, using no attempt.
          const room = await deps.uploads.reserve(ticket, plan.encodedBytes, now());
          if (room.kind === 'wait') return await control.defer(room.untilMs);
        }
        const skipped = await beginAttempt(attempt, start);
        if (skipped) return skipped;
        if (plan.path === 'draft' && deps.drafts) {
          const drafts = deps.drafts;
          const progress = draftProgressOf(control.job);
          cleanUpDraft = async () => {
            const fresh = await deps.tokens.getAccessToken(route.credentials).catch(() => token);
            await discardDraft(drafts.graph, progress, route, fresh.accessToken, attempt.clientRequestId, logger, jobId);
          };
          const { attachments: _files, ...message } = buildSendMailBody({ ...content.email, attachments: [] }).message;
          const outcome = await sendThroughDraft(
            { ...drafts, sleep: drafts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))), now, logger },
            {
              jobId,
              route,
              accessToken: async () => (await deps.tokens.getAccessToken(route.credentials)).accessToken,
              clientRequestId: attempt.clientRequestId,
              message,
              attachments: content.attachments,
              progress,
              // Streamed files are checked against the job's sha256 before the draft is sent, never after.
              beforeSend: () => guard('content', () => content.verify()),
            },
          );
          answeredAtMs = now();
          if (outcome.kind === 'sent') {
            return await recordSent(deps, control, attempt, route, outcome.graphRequestId, {
              graphMessageId: outcome.graphMessageId,
              confirmedBy: outcome.confirmedBy,
              ...(outcome.internetMessageId ? { internetMessageId: outcome.internetMessageId } : {}),
            });
          }
          if (outcome.failure.code === 'DraftDeleted') await progress.save(undefined);
          failure = outcome.failure;
        } else {
          const sendable = await guard('content', () => content.inline());
          const result = await deps.graph
            .sendMail(route, buildSendMailBody(sendable), token.accessToken, attempt.clientRequestId)
            .finally(() => (answeredAtMs = now()));
          const classification = classifySendResult(result, route, now());
          if (classification.kind === 'sent') return await recordSent(deps, control, attempt, route, classification.graphRequestId);
          failure = classification.failure;
        }
      } catch (err: unknown) {
        if (err instanceof DelayedError || err instanceof StoreUnavailableError || err instanceof StoreFailedError) throw err;
        failure = err instanceof DeliveryError ? err.failure : unexpectedFailure(err);
        // A settings problem is found before the record exists; it still needs one.
        if (!attempt.begun) {
          const skipped = await beginAttempt(attempt, start);
          if (skipped) return skipped;
        }
      }
      // A throttle's pause is written before the place is freed, so no other worker sends into it.
      if (cleanUpDraft) return await settleDraftFailure(control, attempt, failure, cleanUpDraft);
      return await settleFailure(deps, control, attempt, failure);
    } finally {
      // Awaited, before BullMQ hears the outcome (a late one could not free a later run's place:
      // admissions are stamped). A release that fails is only logged: its lease ends it.
      await release(answeredAtMs).catch((err: unknown) =>
        logger.warn({ jobId, err: toError(err).message }, 'could not release the mailbox send slot'),
      );
    }
  }

  /** A draft whose e-mail failed for good is deleted; one whose send outcome is unknown stays for a person to judge. */
  async function settleDraftFailure(
    control: JobControl,
    attempt: AttemptState,
    failure: Failure,
    cleanUp: () => Promise<void>,
  ): Promise<never> {
    try {
      return await settleFailure(deps, control, attempt, failure);
    } catch (err: unknown) {
      if (err instanceof UnrecoverableError && failure.category !== 'unknown-outcome') await cleanUp();
      throw err;
    }
  }

  /** A store error no wait fixes: the job fails once, saying what to fix; an e-mail already sent is never sent again. */
  function failForStore(job: Job, email: EmailJob, err: StoreFailedError): never {
    const jobId = job.id ?? '';
    const sent = hasPendingRecord(job);
    const failure = sent ? sentButNotRecorded(err.failure) : err.failure;
    if (!sent)
      deps.observer?.onAttempt({ jobId, accountId: email.accountId, outcome: 'failed', category: failure.category, durationMs: 0 });
    logger.error(
      { jobId, store: err.store, code: failure.code, detail: failure.detail, reason: failure.reason },
      'store refused the operation',
    );
    throw new UnrecoverableError(describeFailure(failure));
  }

  return async function sendEmailJob(job: Job, lockToken?: string): Promise<SendEmailResult> {
    const jobId = job.id ?? '';
    const newerVersion = newerSchemaVersionOf(job.data);
    if (newerVersion !== undefined) {
      // An ERP upgraded before its workers: the job is kept, not failed, until a worker that reads it takes it.
      deps.observer?.onNewerSchema?.(newerVersion);
      logger.warn(
        { jobId, schemaVersion: newerVersion, accepted: ACCEPTED_SCHEMA_VERSIONS, retryInMs: NEWER_SCHEMA_DELAY_MS },
        'job written by a newer client than this worker; put back: upgrade the workers first',
      );
      await job.moveToDelayed(now() + NEWER_SCHEMA_DELAY_MS, lockToken);
      throw new DelayedError();
    }
    let email: EmailJob;
    try {
      email = parseEmailJob(job.data);
    } catch (err: unknown) {
      // The job's own fields are not trusted here: every address in the reason is hidden.
      const failure = invalidPayloadFailure(err);
      logger.error({ jobId, reason: failure.reason }, 'e-mail job does not match the job contract');
      deps.observer?.onAttempt({ jobId, accountId: '', outcome: 'failed', category: failure.category, durationMs: 0 });
      throw new UnrecoverableError(describeFailure(failure));
    }
    const control: JobControl = {
      job,
      jobId,
      defer: async (untilMs) => {
        // A bulk e-mail put aside until its slot comes back ahead of bulk e-mails nobody took up yet
        // (BullMQ reads the priority when the delay ends); both calls go out together.
        const due = (job.opts.priority ?? 0) > DUE_BULK_PRIORITY ? job.changePriority({ priority: DUE_BULK_PRIORITY }) : undefined;
        await Promise.all([job.moveToDelayed(untilMs, lockToken), due]);
        throw new DelayedError();
      },
    };
    try {
      return (await finishPendingRecord(deps, control)) ?? (await attemptSend(control, email));
    } catch (err: unknown) {
      if (err instanceof StoreFailedError) failForStore(job, email, err);
      if (!(err instanceof StoreUnavailableError)) throw err;
      // MongoDB is down: the job waits for it, using no attempt; /readyz shows the outage.
      const waits = Math.max(0, (job.attemptsStarted ?? 1) - job.attemptsMade - 1);
      const delayMs = storeRetryDelayMs(waits, deps.random());
      logger.warn({ jobId, store: err.store, err: toError(err.cause), retryInMs: delayMs }, 'store unavailable; the job waits');
      return control.defer(now() + delayMs);
    }
  };
}
