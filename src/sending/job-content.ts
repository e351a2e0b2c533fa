// Worker side of the claim check: reads a job's content from the payload store (checking the
// account and the sha256), and keeps Redis free of content: a job that waits or retries holds a
// reference, and after its final outcome a job holds no body and no attachment bytes at all.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import {
  ContentLayoutError,
  inlineContentOf,
  sha256Hex,
  unpackContent,
  payloadIdOf,
  type OpenedPayload,
  type PayloadReader,
  type PayloadRetention,
  type PayloadWriter,
  DeliveryError,
  toError,
  type Failure,
  offloadContent,
  FAILED_CONTENT_RETENTION_MS,
  layoutBytes,
  parseEmailJob,
  type ContentLayout,
  type ContentReference,
  type EmailJob,
} from '@omikai/graph-mailer-client';
import {
  attachmentOffsets,
  inlineAttachmentSource,
  storedAttachmentSource,
  StreamedPayloadHash,
  type AttachmentSource,
} from './attachment-source';
import type { SendEmailResult } from './interfaces';

const FIX = 'Fix: enqueue the e-mail again from the ERP; retrying this job cannot send it.';

export function contentMissingFailure(jobId: string, payloadId: string | undefined, why: string): Failure {
  return {
    category: 'content-missing',
    code: 'ContentMissing',
    reason: `The content of job ${jobId}${payloadId ? ` (payload ${payloadId})` : ''} is not in the payload store: ${why}. ${FIX}`,
  };
}

export function contentCorruptFailure(jobId: string, payloadId: string, why: string): Failure {
  return {
    category: 'content-corrupt',
    code: 'ContentCorrupt',
    reason: `The content of job ${jobId} (payload ${payloadId}) is damaged: ${why}. ${FIX}`,
  };
}

/** An e-mail ready to be planned and sent: its bodies at hand, its files as sources, the rest read on demand. */
export interface SendableContent {
  /** The e-mail with its bodies inline; a stored e-mail's files are only in `attachments`. */
  email: EmailJob;
  /** The files, sized without reading them: streamed from the payload store, or decoded from the job's base64. */
  attachments: AttachmentSource[];
  /** Whether the content is in the payload store (then `inline` reads it whole). */
  stored: boolean;
  /** The e-mail with every file inline, for sendMail (at most 4 MB): read once and checked. Throws DeliveryError. */
  inline(): Promise<EmailJob>;
  /**
   * Before a draft is sent: throws DeliveryError [content-corrupt] unless the stored bytes match the job's
   * sha256 (taken while the files streamed; bytes not streamed in this attempt are read now).
   */
  verify(): Promise<void>;
}

/**
 * The e-mail's bodies and its files as sources, for the draft path: a stored payload's metadata is
 * checked (account, size) and only its bodies are read; the files stream from the store when uploaded.
 */
export async function openEmailContent(email: EmailJob, jobId: string, payloads: PayloadReader | undefined): Promise<SendableContent> {
  const { content } = email;
  if (content === undefined) {
    return {
      email,
      attachments: (email.attachments ?? []).map(inlineAttachmentSource),
      stored: false,
      inline: () => Promise.resolve(email),
      verify: () => Promise.resolve(),
    };
  }
  const { payload, reference } = await openChecked(email, jobId, payloads);
  const id = payload.id;
  const corrupt = (why: string): never => {
    throw new DeliveryError(contentCorruptFailure(jobId, id, why));
  };
  if (layoutBytes(content) !== content.bytes) corrupt(`its layout adds up to ${layoutBytes(content)} bytes, the job says ${content.bytes}`);
  const hash = new StreamedPayloadHash(payload, content.bytes, reference.sha256);
  const bodyBytes = (content.htmlBytes ?? 0) + (content.textBytes ?? 0);
  const bodies: Buffer[] = [];
  let bodyRead = 0;
  for await (const piece of payload.stream(0, bodyBytes)) {
    hash.take(bodyRead, piece);
    bodyRead += piece.length;
    bodies.push(piece);
  }
  if (bodyRead < bodyBytes) corrupt(`it ended after ${bodyRead} bytes, the bodies take ${bodyBytes}`);
  const body = Buffer.concat(bodies, bodyBytes);
  const html = content.htmlBytes === undefined ? undefined : body.subarray(0, content.htmlBytes).toString('utf8');
  const text = content.textBytes === undefined ? undefined : body.subarray(content.htmlBytes ?? 0).toString('utf8');
  const { content: _reference, ...envelope } = email;
  const offsets = attachmentOffsets(content);
  const shortRead = (name: string, read: number): never => corrupt(`attachment ${name} ended after ${read} bytes`);
  let inline: Promise<EmailJob> | undefined;
  return {
    email: { ...envelope, ...(html !== undefined ? { html } : {}), ...(text !== undefined ? { text } : {}) },
    attachments: (content.attachments ?? []).map((file, index) => storedAttachmentSource(file, offsets[index]!, payload, hash, shortRead)),
    stored: true,
    inline: () => (inline ??= readInline(email, jobId, payload, reference)),
    verify: async () => {
      if (!(await hash.matches())) corrupt('its sha256 does not match the one in the job');
    },
  };
}

/** The job's payload, opened when it is there and the job's account's, with the size the job names. */
async function openChecked(
  email: EmailJob,
  jobId: string,
  payloads: PayloadReader | undefined,
): Promise<{ payload: OpenedPayload; reference: ContentReference }> {
  const { content } = email;
  if (content === undefined) throw new Error('openChecked: the job has its content inline');
  if (!('id' in content)) throw new DeliveryError(contentMissingFailure(jobId, undefined, 'it was removed after the job finished'));
  if (!payloads) throw new DeliveryError(contentMissingFailure(jobId, content.id, 'this worker has no payload store configured'));
  const payload = await payloads.open(content.id);
  // The same answer for "absent" and "another account's": a job cannot probe other accounts' payloads.
  if (!payload || payload.metadata.accountId !== email.accountId) {
    throw new DeliveryError(contentMissingFailure(jobId, content.id, 'it expired, was removed, or belongs to another account'));
  }
  if (payload.metadata.bytes !== content.bytes) {
    throw new DeliveryError(
      contentCorruptFailure(jobId, content.id, `it holds ${payload.metadata.bytes} bytes, the job says ${content.bytes}`),
    );
  }
  return { payload, reference: content };
}

/**
 * The e-mail with its content inline, ready for the Graph request. A reference is read from the store
 * only when the payload's account is the job's; a missing or damaged payload throws DeliveryError.
 */
export async function loadEmailContent(email: EmailJob, jobId: string, payloads: PayloadReader | undefined): Promise<EmailJob> {
  const { content } = email;
  if (content === undefined) return email;
  const { payload, reference } = await openChecked(email, jobId, payloads);
  return readInline(email, jobId, payload, reference);
}

/** The whole payload read, checked against the sha256, and put inline. */
async function readInline(email: EmailJob, jobId: string, payload: OpenedPayload, reference: ContentReference): Promise<EmailJob> {
  const data = await payload.read();
  if (sha256Hex(data) !== reference.sha256) {
    throw new DeliveryError(contentCorruptFailure(jobId, reference.id, 'its sha256 does not match the one in the job'));
  }
  try {
    const { content: _reference, ...envelope } = email;
    return { ...envelope, ...unpackContent(data, reference) };
  } catch (err: unknown) {
    if (err instanceof ContentLayoutError) throw new DeliveryError(contentCorruptFailure(jobId, reference.id, err.message));
    throw err;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Pure: job data with no body and no attachment bytes, keeping what people need (subject, recipients,
 * attachment names, types and sizes). Works on any data, valid or not; a reference stays as it is.
 */
export function dataWithoutContent(data: unknown): unknown {
  if (!isRecord(data)) return data;
  const { html, text, attachments, content, ...envelope } = data;
  if (html === undefined && text === undefined && attachments === undefined) {
    // A reference: the finished job keeps the layout people see (sizes, names), not the payload's id and hash.
    if (!isRecord(content) || content.id === undefined) return data;
    const { id: _id, sha256: _sha256, ...layout } = content;
    return { ...envelope, content: { removed: true, ...layout } };
  }
  const attachmentList = Array.isArray(attachments) ? attachments.filter(isRecord) : [];
  const layoutAttachments = attachmentList.map(({ contentBase64, ...meta }) => ({
    ...meta,
    bytes:
      typeof contentBase64 === 'string' ? Math.floor((contentBase64.length * 3) / 4) - (contentBase64.match(/=*$/)?.[0].length ?? 0) : 0,
  }));
  const htmlBytes = typeof html === 'string' ? Buffer.byteLength(html) : undefined;
  const textBytes = typeof text === 'string' ? Buffer.byteLength(text) : undefined;
  const removed: ContentLayout & { removed: true } = {
    removed: true,
    bytes: (htmlBytes ?? 0) + (textBytes ?? 0) + layoutAttachments.reduce((sum, a) => sum + a.bytes, 0),
    ...(htmlBytes !== undefined ? { htmlBytes } : {}),
    ...(textBytes !== undefined ? { textBytes } : {}),
    ...(layoutAttachments.length > 0 ? { attachments: layoutAttachments as ContentLayout['attachments'] } : {}),
  };
  void content; // an inline job has none; data holding both is off the contract, and both go
  return { ...envelope, schemaVersion: 2, content: removed };
}

export interface ContentKeeping {
  payloads: PayloadWriter & PayloadRetention;
  /** Removes payloads of sent e-mails, in batches. */
  removeLater(id: string): void;
  /** 0: a sent e-mail's content is removed at once. */
  retentionAfterSentMs: number;
  inlineMaxBytes: number;
  logger: Logger;
  now: () => number;
}

type Processor = (job: Job, token?: string) => Promise<SendEmailResult>;

/** Wraps the send processor so every outcome leaves Redis without content it no longer needs. */
export function withContentKeeping(processor: Processor, keeping: ContentKeeping): Processor {
  const { logger } = keeping;
  return async (job, token) => {
    let result: SendEmailResult;
    try {
      result = await processor(job, token);
    } catch (err: unknown) {
      const final =
        err instanceof UnrecoverableError || (!(err instanceof DelayedError) && job.attemptsMade + 1 >= (job.opts.attempts ?? 1));
      await afterFailure(job, final, keeping).catch((cause: unknown) =>
        logger.warn(
          { jobId: job.id, err: toError(cause).message },
          'could not move the job content to the payload store; it stays in Redis',
        ),
      );
      throw err;
    }
    await afterOutcome(job, result, keeping).catch((cause: unknown) =>
      logger.warn({ jobId: job.id, err: toError(cause).message }, 'could not remove the content of a finished job'),
    );
    return result;
  };
}

/**
 * For failures the processor did not decide (a job that stalled too often): BullMQ's 'failed' event.
 * A job that failed for good and still holds inline content gets it moved to the store.
 */
export async function keepContentOfFailedJob(job: Job, keeping: ContentKeeping): Promise<void> {
  if (job.finishedOn === undefined || payloadIdOf(job.data) !== undefined) return;
  await afterFailure(job, true, keeping);
}

async function afterOutcome(job: Job, result: SendEmailResult, keeping: ContentKeeping): Promise<void> {
  const id = payloadIdOf(job.data);
  const stripped = dataWithoutContent(job.data);
  if (stripped !== job.data) await job.updateData(stripped);
  if (id === undefined) return;
  const sent = result.status === 'sent' || result.status === 'already-sent';
  if (sent && keeping.retentionAfterSentMs > 0) await keeping.payloads.expireAt(id, new Date(keeping.now() + keeping.retentionAfterSentMs));
  else keeping.removeLater(id);
}

/**
 * A job that waits or retries keeps its content in the store rather than in Redis (small e-mails stay
 * inline); a job that failed for good keeps it as long as it can be retried.
 */
async function afterFailure(job: Job, final: boolean, keeping: ContentKeeping): Promise<void> {
  const id = payloadIdOf(job.data);
  const failedUntil = new Date(keeping.now() + FAILED_CONTENT_RETENTION_MS);
  if (id !== undefined) {
    if (final) await keeping.payloads.expireAt(id, failedUntil);
    return;
  }
  let email: EmailJob;
  try {
    email = parseEmailJob(job.data);
  } catch {
    // Data off the contract fails the same way on every retry: its content is dropped, not kept.
    if (final) await job.updateData(dataWithoutContent(job.data));
    return;
  }
  if (!inlineContentOf(email)) return;
  const inlineMaxBytes = final ? -1 : keeping.inlineMaxBytes;
  const offloaded = offloadContent(email, { queueName: job.queueName, jobId: job.id!, now: keeping.now(), inlineMaxBytes });
  if (!offloaded) return;
  const metadata = final ? { ...offloaded.payload.metadata, expiresAt: failedUntil } : offloaded.payload.metadata;
  await keeping.payloads.write(offloaded.payload.id, metadata, offloaded.payload.data);
  await job.updateData(offloaded.data);
}
