// Sends one e-mail through a draft: create it (or take up the one an earlier attempt left), attach
// the files (large ones through an upload session, in order, resuming where Graph says), send it,
// and, when the answer to send is lost, look for the sent copy before calling the outcome unknown.
// The draft's id and progress live in the job's progress; the upload URL never does (it is a credential).
import type { Logger } from 'pino';
import type { Failure } from '@omikai/graph-mailer-client';
import { classifyDraftFailure, type DraftStep } from '../graph/classify-draft-result';
import type { DraftMessage, GraphDraftClient, UploadSession } from '../graph/draft-client';
import type { GraphSendResult } from '../graph/graph-mail-client';
import { checkUploadUrl } from '../graph/upload-url';
import type { SendRoute } from '../settings/resolve-sender';
import type { AttachmentSource } from './attachment-source';

/** Files below this go in one POST …/attachments; larger ones through an upload session. */
export const SMALL_ATTACHMENT_BYTES = 3 * 1024 * 1024;
/** Bytes per PUT: under Graph's 4 MB, a multiple of 320 KiB. */
export const UPLOAD_CHUNK_BYTES = 12 * 320 * 1024;
/** PUTs retried from nextExpectedRanges per attachment, and new sessions after one expired. */
const MAX_RANGE_RESUMES = 3;
const MAX_SESSION_RENEWALS = 1;

/** What the job's progress keeps of its draft (never the upload URL). */
export interface DraftState {
  id: string;
  internetMessageId?: string;
  /** Attachments fully on the draft, in the job's order. */
  attachmentsDone: number;
  /** Bytes of the attachment being uploaded that Graph has confirmed. */
  uploadedBytes?: number;
  /** Set before POST …/send and cleared once that attempt's outcome is settled. */
  sendRequestedAt?: string;
}

export interface DraftProgress {
  current(): DraftState | undefined;
  save(state: DraftState | undefined): Promise<void>;
}

export type DraftGraph = Pick<
  GraphDraftClient,
  | 'cloudOf'
  | 'createDraft'
  | 'getMessage'
  | 'findInSentItems'
  | 'listAttachments'
  | 'addFileAttachment'
  | 'createUploadSession'
  | 'putRange'
  | 'getUploadStatus'
  | 'sendDraft'
  | 'deleteMessage'
>;

export interface DraftSendDeps {
  graph: DraftGraph;
  /** MS_UPLOAD_BASE_URL: the one origin besides the cloud's Outlook hosts an upload URL may name. */
  uploadOrigin?: string;
  confirmWindowMs: number;
  confirmIntervalMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
}

export interface DraftAttempt {
  jobId: string;
  route: Pick<SendRoute, 'sender' | 'credentials'>;
  /** The app token for each call: an upload can outlast a token's last minutes, so it is asked for anew (cached). */
  accessToken: () => Promise<string>;
  clientRequestId: string;
  /** The Graph message without attachments. */
  message: Record<string, unknown>;
  attachments: AttachmentSource[];
  progress: DraftProgress;
  /** Called right before the draft is sent (not when an earlier attempt's send is confirmed); what it throws ends the attempt unsent. */
  beforeSend?: () => Promise<void>;
}

export type DraftOutcome =
  | {
      kind: 'sent';
      graphRequestId?: string;
      graphMessageId: string;
      internetMessageId?: string;
      /** How the send is known: Graph's 202, the sent copy found after a lost answer, or an earlier attempt's send. */
      confirmedBy: 'answer' | 'lookup' | 'earlier-attempt';
    }
  | { kind: 'failed'; failure: Failure };

class StepFailed extends Error {
  override name = 'StepFailed';

  constructor(readonly failure: Failure) {
    super(failure.reason);
  }
}

/** A Graph answer that may hide a completed send: no answer after the request went out, or 504. */
function answerLost(result: GraphSendResult): boolean {
  return result.kind === 'no-response' ? result.requestSent : result.status === 504;
}

export async function sendThroughDraft(deps: DraftSendDeps, attempt: DraftAttempt): Promise<DraftOutcome> {
  try {
    return await runDraftFlow(deps, attempt);
  } catch (err: unknown) {
    if (err instanceof StepFailed) return { kind: 'failed', failure: err.failure };
    throw err;
  }
}

async function runDraftFlow(deps: DraftSendDeps, attempt: DraftAttempt): Promise<DraftOutcome> {
  const { graph } = deps;
  const { route, clientRequestId: rid } = attempt;
  const fail = (step: DraftStep, result: GraphSendResult): never => {
    throw new StepFailed(classifyDraftFailure(step, result, route, deps.now()));
  };

  let state = attempt.progress.current();
  if (state) {
    const resumed = await resumeDraft(deps, attempt, state);
    if (resumed.kind === 'sent') return resumed;
    state = resumed.state;
  }
  if (!state) {
    const created = await graph.createDraft(route, attempt.message, attempt.jobId, await attempt.accessToken(), rid);
    if (!created.ok) return fail('create', created.result);
    if (typeof created.value.id !== 'string') throw new StepFailed(noIdFailure());
    state = {
      id: created.value.id,
      attachmentsDone: 0,
      ...(created.value.internetMessageId ? { internetMessageId: created.value.internetMessageId } : {}),
    };
    await attempt.progress.save(state);
    deps.logger.info({ jobId: attempt.jobId, sender: route.sender }, 'draft created');
  }

  for (let index = state.attachmentsDone; index < attempt.attachments.length; index += 1) {
    const source = attempt.attachments[index]!;
    if (source.sizeBytes < SMALL_ATTACHMENT_BYTES) await attachSmallFile(deps, attempt, state.id, source, fail);
    else await uploadLargeFile(deps, attempt, state, source, fail);
    state = { ...state, attachmentsDone: index + 1 };
    delete state.uploadedBytes;
    await attempt.progress.save(state);
  }

  await attempt.beforeSend?.();
  state = { ...state, sendRequestedAt: new Date(deps.now()).toISOString() };
  await attempt.progress.save(state);
  const sent = await graph.sendDraft(route, state.id, await attempt.accessToken(), rid);
  if (sent.ok) return sentOutcome(state, 'answer', sent.requestId);
  if (!answerLost(sent.result)) {
    await attempt.progress.save({ ...state, sendRequestedAt: undefined });
    return fail('send', sent.result);
  }
  deps.logger.warn({ jobId: attempt.jobId, sender: route.sender }, 'answer to send lost; looking for the sent copy');
  if (await confirmSent(deps, attempt, state)) return sentOutcome(state, 'lookup');
  return unknownAfterWindow(deps, attempt, sent.result);
}

function sentOutcome(state: DraftState, confirmedBy: 'answer' | 'lookup' | 'earlier-attempt', graphRequestId?: string): DraftOutcome {
  return {
    kind: 'sent',
    graphMessageId: state.id,
    confirmedBy,
    ...(state.internetMessageId ? { internetMessageId: state.internetMessageId } : {}),
    ...(graphRequestId ? { graphRequestId } : {}),
  };
}

function noIdFailure(): Failure {
  return { category: 'transient', code: 'DraftWithoutId', reason: 'Graph created a draft but returned no id; retrying later.' };
}

/** The earlier attempt's draft: sent already, still a draft (with how many files on it), or gone. */
async function resumeDraft(
  deps: DraftSendDeps,
  attempt: DraftAttempt,
  state: DraftState,
): Promise<Extract<DraftOutcome, { kind: 'sent' }> | { kind: 'resume'; state: DraftState | undefined }> {
  const { graph } = deps;
  const { route, clientRequestId: rid } = attempt;
  const found = await graph.getMessage(route, state.id, await attempt.accessToken(), rid);
  if (found.ok && found.value.isDraft === false) return sentOutcome(state, 'earlier-attempt') as Extract<DraftOutcome, { kind: 'sent' }>;
  if (!found.ok) {
    const gone = found.result.kind === 'response' && found.result.status === 404;
    if (!gone) throw new StepFailed(classifyDraftFailure('lookup', found.result, route, deps.now()));
    if (state.internetMessageId && (await inSentItems(deps, attempt, state.internetMessageId))) {
      return sentOutcome(state, 'earlier-attempt') as Extract<DraftOutcome, { kind: 'sent' }>;
    }
    deps.logger.warn({ jobId: attempt.jobId, sender: route.sender }, 'the draft of an earlier attempt is gone; creating a new one');
    await attempt.progress.save(undefined);
    return { kind: 'resume', state: undefined };
  }
  // An earlier attempt asked Graph to send and never saw the outcome (its answer was lost, or the
  // worker died). Its record is flagged possibleDuplicate already (settled as unknown, or found
  // 'sending' at this attempt's start); the sent copy gets another window before the draft is sent again.
  if (state.sendRequestedAt) {
    if (await confirmSent(deps, attempt, state)) return sentOutcome(state, 'lookup') as Extract<DraftOutcome, { kind: 'sent' }>;
    deps.logger.warn({ jobId: attempt.jobId, sender: route.sender }, 'no sent copy of the earlier send; sending the draft again (flagged)');
    return { kind: 'resume', state: { ...state, attachmentsDone: attempt.attachments.length } };
  }
  // Files are attached in order, so the draft's own count says where to go on.
  const listed = await graph.listAttachments(route, state.id, await attempt.accessToken(), rid);
  if (!listed.ok) throw new StepFailed(classifyDraftFailure('lookup', listed.result, route, deps.now()));
  const onDraft = Math.min(listed.value.value?.length ?? 0, attempt.attachments.length);
  deps.logger.info({ jobId: attempt.jobId, sender: route.sender, attachmentsDone: onDraft }, 'resuming the draft of an earlier attempt');
  return { kind: 'resume', state: { ...state, attachmentsDone: onDraft } };
}

/** The send's outcome stays unknown: settled as today (flag, OUTCOME_UNKNOWN_POLICY). sendRequestedAt stays, so the next attempt looks again first. */
async function unknownAfterWindow(deps: DraftSendDeps, attempt: DraftAttempt, result: GraphSendResult): Promise<DraftOutcome> {
  const failure = classifyDraftFailure('send', result, attempt.route, deps.now());
  return {
    kind: 'failed',
    failure: {
      ...failure,
      category: 'unknown-outcome',
      reason:
        `Graph's answer to send was lost and no sent copy appeared within ${Math.round(deps.confirmWindowMs / 1000)} s; the e-mail may have been sent. ` +
        'A retry looks for it again and sends the draft only if it is still a draft.',
    },
  };
}

async function inSentItems(deps: DraftSendDeps, attempt: DraftAttempt, internetMessageId: string): Promise<boolean> {
  const found = await deps.graph.findInSentItems(attempt.route, internetMessageId, await attempt.accessToken(), attempt.clientRequestId);
  return found.ok && (found.value.value ?? []).some((message: DraftMessage) => message.isDraft !== true);
}

/**
 * Polls for the window: the item by its immutable id no longer a draft, or a copy in Sent Items
 * with its Internet Message-ID. A draft or a 404 right after a lost answer proves nothing (the
 * Sent Items copy appears only once the send completed), so only a found copy counts.
 */
async function confirmSent(deps: DraftSendDeps, attempt: DraftAttempt, state: DraftState): Promise<boolean> {
  const deadline = deps.now() + deps.confirmWindowMs;
  for (;;) {
    const found = await deps.graph.getMessage(attempt.route, state.id, await attempt.accessToken(), attempt.clientRequestId);
    if (found.ok && found.value.isDraft === false) return true;
    if (state.internetMessageId && (await inSentItems(deps, attempt, state.internetMessageId))) return true;
    const left = deadline - deps.now();
    if (left <= 0) return false;
    await deps.sleep(Math.min(deps.confirmIntervalMs, left));
  }
}

async function attachSmallFile(
  deps: DraftSendDeps,
  attempt: DraftAttempt,
  draftId: string,
  source: AttachmentSource,
  fail: (step: DraftStep, result: GraphSendResult) => never,
): Promise<void> {
  const pieces: Uint8Array[] = [];
  for await (const piece of source.open(0)) pieces.push(piece);
  const added = await deps.graph.addFileAttachment(
    attempt.route,
    draftId,
    {
      name: source.name,
      contentType: source.contentType,
      contentBytes: Buffer.concat(pieces).toString('base64'),
      ...(source.contentId ? { contentId: source.contentId } : {}),
      ...(source.isInline ? { isInline: true } : {}),
    },
    await attempt.accessToken(),
    attempt.clientRequestId,
  );
  if (!added.ok) fail('attach', added.result);
}

/** The next start byte Graph expects, from an upload answer's nextExpectedRanges ("12345-" or "12345"). */
function nextExpectedStart(session: UploadSession): number | undefined {
  const first = session.nextExpectedRanges?.[0];
  const start = first === undefined ? NaN : Number.parseInt(first, 10);
  return Number.isInteger(start) && start >= 0 ? start : undefined;
}

/**
 * Up to `size` bytes at a time from the source's pieces, in one buffer reused for every chunk: the
 * caller is done with a chunk (its PUT answered) before it asks for the next. A fresh 4 MB buffer per
 * chunk left garbage that five uploads at once turned into ~100 MB of RSS before the GC caught up.
 */
async function* chunksOf(pieces: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const piece of pieces) {
    let offset = 0;
    while (offset < piece.byteLength) {
      const taken = Math.min(size - filled, piece.byteLength - offset);
      buffer.set(piece.subarray(offset, offset + taken), filled);
      filled += taken;
      offset += taken;
      if (filled === size) {
        yield buffer;
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}

async function uploadLargeFile(
  deps: DraftSendDeps,
  attempt: DraftAttempt,
  state: DraftState,
  source: AttachmentSource,
  fail: (step: DraftStep, result: GraphSendResult) => never,
): Promise<void> {
  const { graph } = deps;
  const { route } = attempt;
  const openSession = async (): Promise<URL> => {
    const item = {
      name: source.name,
      size: source.sizeBytes,
      contentType: source.contentType,
      ...(source.isInline ? { isInline: true } : {}),
      ...(source.contentId ? { contentId: source.contentId } : {}),
    };
    const created = await graph.createUploadSession(route, state.id, item, await attempt.accessToken(), attempt.clientRequestId);
    if (!created.ok) return fail('upload-session', created.result);
    const checked = checkUploadUrl(created.value.uploadUrl, graph.cloudOf(route), deps.uploadOrigin);
    if (!checked.ok) {
      throw new StepFailed({
        category: 'unknown',
        code: 'UploadUrlRefused',
        reason: `Refused to upload the attachment: ${checked.problem}. Nothing was sent there. Check MS_GRAPH_BASE_URL and MS_UPLOAD_BASE_URL.`,
      });
    }
    return checked.url;
  };

  let uploadUrl = await openSession();
  let next = 0;
  let resumes = 0;
  let renewals = 0;
  while (next < source.sizeBytes) {
    let restartAt: number | undefined;
    for await (const chunk of chunksOf(source.open(next), UPLOAD_CHUNK_BYTES)) {
      const put = await graph.putRange(uploadUrl, chunk, next, source.sizeBytes);
      if (put.ok) {
        next += chunk.byteLength;
        if (put.status === 201 || next >= source.sizeBytes) return;
        const expected = nextExpectedStart(put.value);
        await attempt.progress.save({ ...state, uploadedBytes: next });
        if (expected !== undefined && expected !== next) {
          restartAt = expected;
          break;
        }
        continue;
      }
      const { result } = put;
      const expired = result.kind === 'response' && [401, 403, 404, 410].includes(result.status);
      if (expired && renewals < MAX_SESSION_RENEWALS) {
        renewals += 1;
        deps.logger.warn({ jobId: attempt.jobId, sender: route.sender }, 'upload session expired; starting a new one');
        uploadUrl = await openSession();
        restartAt = 0;
        break;
      }
      const retryable = result.kind === 'no-response' || result.status >= 500;
      if (!expired && retryable && resumes < MAX_RANGE_RESUMES) {
        resumes += 1;
        const status = await graph.getUploadStatus(uploadUrl);
        const expected = status.ok ? nextExpectedStart(status.value) : undefined;
        if (expected !== undefined) {
          deps.logger.warn({ jobId: attempt.jobId, sender: route.sender, resumeAt: expected }, 'upload interrupted; resuming');
          restartAt = expected;
          break;
        }
      }
      return fail('upload', result);
    }
    if (restartAt === undefined) break;
    next = restartAt;
  }
  if (next < source.sizeBytes) {
    throw new StepFailed({
      category: 'invalid-payload',
      code: 'AttachmentShorterThanDeclared',
      reason: `Attachment ${source.name} ended after ${next} of its ${source.sizeBytes} bytes; the e-mail's content is damaged.`,
    });
  }
}
