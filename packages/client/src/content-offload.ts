// Producer side of the claim check: attachments given as base64, Buffer or stream become one job
// input; content over the inline limit becomes a payload for the store and a reference in the job.
import type { Readable } from 'node:stream';
import { inlineContentOf, packContent } from './email-content';
import { newPayloadId, type PayloadMetadata } from './payload-store';
import { MAX_SEND_MAIL_REQUEST_BYTES } from './send-mail-body';
import { EmailJobValidationError, type EmailJob, type EmailJobInput } from './email-job';

/**
 * E-mails whose bodies and attachments together are at most this many bytes stay inline in Redis:
 * a payload write costs more than the bytes it saves (docs/performance.md has the measurement).
 */
export const DEFAULT_INLINE_MAX_BYTES = 16 * 1024;

/** A payload lives at least as long as a failed job can be retried (removeOnFail: 14 days), plus a day. */
export const FAILED_CONTENT_RETENTION_MS = 15 * 24 * 3600_000;

type InlineAttachmentInput = NonNullable<EmailJobInput['attachments']>[number];

/** An attachment given as bytes or as a stream instead of base64. */
export interface BinaryAttachmentInput extends Omit<InlineAttachmentInput, 'contentBase64'> {
  content: Buffer | Uint8Array | Readable;
}

export type AttachmentInput = InlineAttachmentInput | BinaryAttachmentInput;

/** What `enqueue()` takes: the job contract's input, with attachments also as Buffer or stream. */
export type EmailInput = Omit<EmailJobInput, 'attachments'> & { attachments?: AttachmentInput[] };

/**
 * Reads streamed attachments and turns bytes into base64. A stream may hold at most `maxBytes` (the
 * producer's maxMessageBytes; default Graph's 4 MB sendMail request): larger e-mails go by draft.
 */
export async function toJobInput(input: EmailInput, maxBytes: number = MAX_SEND_MAIL_REQUEST_BYTES): Promise<EmailJobInput> {
  if (!input.attachments?.some((a) => 'content' in a)) return input as EmailJobInput;
  const attachments = await Promise.all(
    input.attachments.map(async (attachment, index) => {
      if (!('content' in attachment)) return attachment;
      const { content, ...rest } = attachment;
      const bytes =
        Buffer.isBuffer(content) || content instanceof Uint8Array ? Buffer.from(content) : await readAll(content, index, maxBytes);
      return { ...rest, contentBase64: bytes.toString('base64') };
    }),
  );
  return { ...input, attachments };
}

async function readAll(stream: Readable, index: number, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const part = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    total += part.length;
    if (total > maxBytes) {
      stream.destroy();
      throw new EmailJobValidationError([
        {
          path: `attachments[${index}]`,
          message:
            maxBytes === MAX_SEND_MAIL_REQUEST_BYTES
              ? "the stream holds more than the 4 MB Graph accepts per e-mail; send large files as links, or use draft sending (the producer's maxMessageBytes)"
              : `the stream holds more than maxMessageBytes (${maxBytes} bytes)`,
        },
      ]);
    }
    parts.push(part);
  }
  return Buffer.concat(parts, total);
}

/** A payload to write before the job that refers to it is added. */
export interface PendingPayload {
  id: string;
  metadata: PayloadMetadata;
  data: Buffer;
}

/** The job's content as a payload plus the job data that refers to it; undefined when it stays inline. */
export function offloadContent(
  data: EmailJob,
  {
    queueName,
    jobId,
    now,
    inlineMaxBytes,
    newId = newPayloadId,
  }: { queueName: string; jobId?: string; now: number; inlineMaxBytes: number; newId?: () => string },
): { data: EmailJob; payload: PendingPayload } | undefined {
  const content = inlineContentOf(data);
  if (!content) return undefined;
  const packed = packContent(content);
  if (packed.data.length <= inlineMaxBytes) return undefined;
  const id = newId();
  const sendAtMs = data.sendAt === undefined ? now : Math.max(now, Date.parse(data.sendAt));
  const { html: _html, text: _text, attachments: _attachments, ...envelope } = data;
  return {
    data: { ...envelope, schemaVersion: 2, content: { id, sha256: packed.sha256, ...packed.layout } },
    payload: {
      id,
      data: packed.data,
      metadata: {
        accountId: data.accountId,
        queueName,
        // Known up front for an idempotency key; else BullMQ numbers the job and the producer fills it in after the add.
        jobId: jobId ?? '',
        bytes: packed.data.length,
        sha256: packed.sha256,
        createdAt: new Date(now),
        expiresAt: new Date(sendAtMs + FAILED_CONTENT_RETENTION_MS),
      },
    },
  };
}
