// The job contract between the ERP and the worker: one versioned zod schema used on both sides.
import { z } from 'zod';

export const EMAIL_QUEUE_NAME = 'omikai-email';
export const SEND_EMAIL_JOB_NAME = 'send-email';
/** The version producers write; the worker also accepts every earlier one (ACCEPTED_SCHEMA_VERSIONS). */
export const EMAIL_JOB_SCHEMA_VERSION = 2;
/** 1: content inline only. 2: content inline, or in the payload store behind `content`. */
export const ACCEPTED_SCHEMA_VERSIONS = [1, 2] as const;
export const MAX_RECIPIENTS = 500;
export const MAX_CUSTOM_HEADERS = 5;

/**
 * Base64 with = padding, checked by one linear scan: a regex with a repeated group recurses per
 * group in V8 and throws RangeError on strings of a few megabytes.
 */
export function isBase64(value: string): boolean {
  if (value.length % 4 !== 0) return false;
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  const end = value.length - padding;
  for (let i = 0; i < end; i += 1) {
    const c = value.charCodeAt(i);
    const ok =
      (c >= 65 && c <= 90) || // A-Z
      (c >= 97 && c <= 122) || // a-z
      (c >= 48 && c <= 57) || // 0-9
      c === 43 || // +
      c === 47; // /
    if (!ok) return false;
  }
  return true;
}

/**
 * C0 controls (CR, LF, tab, NUL, ESC…), DEL and C1 controls. In a header or a content type they can
 * split a MIME header or carry terminal escapes to whoever reads the job, so those fields refuse
 * them; in a subject or a file name, refusing would lose mail an ERP template let slip, so they
 * become spaces there.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NO_CONTROL_CHARACTER = /^[^\u0000-\u001F\u007F-\u009F]*$/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F]/g;
const NO_CONTROL_CHARACTERS = 'must not contain control characters (CR, LF, tab and others)';
const controlCharactersAsSpaces = (value: string) => value.replace(CONTROL_CHARACTERS, ' ');

const emailAddress = z
  .object({
    // The HTML5 (browser) rule: what people type in forms, which the ERP's forms check too.
    address: z.email({ pattern: z.regexes.html5Email, error: 'must be an e-mail address' }).max(320),
    name: z.string().max(256).overwrite(controlCharactersAsSpaces).optional(),
  })
  .strict();

const recipients = z.array(emailAddress).max(MAX_RECIPIENTS).optional();

const attachment = z
  .object({
    name: z.string().min(1).max(255).overwrite(controlCharactersAsSpaces),
    contentType: z.string().min(1).max(255).regex(NO_CONTROL_CHARACTER, NO_CONTROL_CHARACTERS),
    contentBase64: z.string().refine(isBase64, 'must be base64 (A-Z a-z 0-9 + / with = padding)'),
    contentId: z.string().max(255).optional(),
    isInline: z.boolean().optional(),
  })
  .strict();

const HEADER_NAME = /^x-[A-Za-z0-9-]+$/i;
const CORRELATION_FIELD_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_CORRELATION_FIELDS = 10;

/** Fields the ERP supplies; `enqueue()` takes these. */
export const emailJobInputSchema = z
  .object({
    accountId: z.string().min(1).max(128),
    userId: z.string().min(1).max(128).optional(),
    to: recipients,
    cc: recipients,
    bcc: recipients,
    replyTo: z.array(emailAddress).max(10).optional(),
    subject: z.string().max(998).overwrite(controlCharactersAsSpaces),
    html: z.string().optional(),
    text: z.string().optional(),
    importance: z.enum(['low', 'normal', 'high']).optional(),
    headers: z
      .record(z.string(), z.string().max(995).regex(NO_CONTROL_CHARACTER, NO_CONTROL_CHARACTERS))
      .superRefine((headers, ctx) => {
        const names = Object.keys(headers);
        if (names.length > MAX_CUSTOM_HEADERS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_CUSTOM_HEADERS} custom headers` });
        for (const name of names.filter((n) => !HEADER_NAME.test(n))) {
          ctx.addIssue({ code: 'custom', path: [name], message: 'header names must start with x- and use letters, digits and -' });
        }
      })
      .optional(),
    attachments: z.array(attachment).max(100).optional(),
    saveToSentItems: z.boolean().default(true),
    idempotencyKey: z.string().min(1).max(256).optional(),
    correlation: z
      .record(z.string(), z.string().max(256))
      // Names checked here rather than by a key schema, which zod reports only as "Invalid key in record".
      .superRefine((correlation, ctx) => {
        const names = Object.keys(correlation);
        if (names.length > MAX_CORRELATION_FIELDS) {
          ctx.addIssue({ code: 'custom', message: `at most ${MAX_CORRELATION_FIELDS} correlation fields` });
        }
        for (const name of names.filter((n) => !CORRELATION_FIELD_NAME.test(n))) {
          ctx.addIssue({ code: 'custom', path: [name], message: 'correlation field names use letters, digits, _ and - (at most 64)' });
        }
      })
      .meta({ propertyNames: { pattern: CORRELATION_FIELD_NAME.source }, maxProperties: MAX_CORRELATION_FIELDS })
      .optional(),
    sendAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-12-01T08:00:00Z' }).optional(),
  })
  .strict();

/**
 * A payload id: exactly 24 lower-case hex digits (a MongoDB ObjectId's form). Nothing else is accepted,
 * because the id becomes a file name in CONTENT_DIR and an _id in the bucket: a job must not be able to
 * name a path or another collection.
 */
export const CONTENT_ID_PATTERN = /^[0-9a-f]{24}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/**
 * No stored e-mail is larger than what draft mode can send: a mailbox's MaxSendSize of at most 150 MB,
 * counted encoded (so its decoded bytes are fewer). 64 MiB refused 100 MB e-mails the producer had taken.
 */
export const MAX_CONTENT_BYTES = 150 * 1024 * 1024;
const byteCount = z.number().int().nonnegative().max(MAX_CONTENT_BYTES);

/** What people may know of an attachment whose bytes are in the payload store. */
const attachmentMetadata = z
  .object({
    name: attachment.shape.name,
    contentType: attachment.shape.contentType,
    bytes: byteCount,
    contentId: attachment.shape.contentId,
    isInline: attachment.shape.isInline,
  })
  .strict();

/**
 * How the payload's bytes are laid out: the html body (UTF-8), the text body (UTF-8), then each
 * attachment's bytes, one after the other, in this order and with these lengths.
 */
const contentLayout = {
  bytes: byteCount,
  htmlBytes: byteCount.optional(),
  textBytes: byteCount.optional(),
  attachments: z.array(attachmentMetadata).max(100).optional(),
};

/** The claim check: the e-mail's bodies and attachments are in the payload store under `id`. */
export const contentReferenceSchema = z
  .object({
    id: z.string().regex(CONTENT_ID_PATTERN, 'must be 24 lower-case hex digits'),
    sha256: z.string().regex(SHA256_HEX, 'must be 64 lower-case hex digits'),
    ...contentLayout,
  })
  .strict();

/** After the final outcome: what the e-mail held, without it. */
const removedContentSchema = z.object({ removed: z.literal(true), ...contentLayout }).strict();

export type ContentReference = z.output<typeof contentReferenceSchema>;
export type ContentLayout = Pick<ContentReference, 'bytes' | 'htmlBytes' | 'textBytes' | 'attachments'>;

/** What is stored in Redis: the input plus the schema version, with the content inline or as a reference. */
export const emailJobSchema = emailJobInputSchema
  .extend({
    schemaVersion: z.union(
      ACCEPTED_SCHEMA_VERSIONS.map((version) => z.literal(version)),
      { error: `must be one of ${ACCEPTED_SCHEMA_VERSIONS.join(', ')}` },
    ),
    content: z.union([contentReferenceSchema, removedContentSchema]).optional(),
  })
  .superRefine((job, ctx) => {
    const recipientCount = countRecipients(job);
    if (recipientCount < 1 || recipientCount > MAX_RECIPIENTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `to, cc and bcc together must hold 1 to ${MAX_RECIPIENTS} recipients (got ${recipientCount})`,
      });
    }
    if (job.content !== undefined) {
      contentReferenceProblems(job, job.content).forEach((problem) => ctx.addIssue({ code: 'custom', ...problem }));
    } else if (job.html === undefined && job.text === undefined) {
      ctx.addIssue({ code: 'custom', path: ['html'], message: 'give html or text (or both)' });
    }
    for (const field of ['subject', 'html', 'text'] as const) {
      const value = job[field];
      if (value !== undefined && !isWellFormedText(value)) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: 'is not valid UTF-8 text (it holds replacement characters or lone surrogates)',
        });
      }
    }
  });

/** A reference job carries no content of its own, and its layout adds up. */
function contentReferenceProblems(
  job: { schemaVersion: number; html?: string; text?: string; attachments?: unknown[] },
  content: ContentLayout,
): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  if (job.schemaVersion < 2) problems.push({ path: ['content'], message: 'needs schemaVersion 2' });
  for (const field of ['html', 'text', 'attachments'] as const) {
    if (job[field] !== undefined)
      problems.push({ path: [field], message: 'must be absent when content is given (it is in the payload store)' });
  }
  if (content.htmlBytes === undefined && content.textBytes === undefined) {
    problems.push({ path: ['content', 'htmlBytes'], message: 'give htmlBytes or textBytes (or both)' });
  }
  if (layoutBytes(content) !== content.bytes) {
    problems.push({ path: ['content', 'bytes'], message: 'must equal htmlBytes + textBytes + the attachments’ bytes' });
  }
  return problems;
}

/** The sum of the layout's parts. */
export function layoutBytes(content: Omit<ContentLayout, 'bytes'>): number {
  return (content.htmlBytes ?? 0) + (content.textBytes ?? 0) + (content.attachments ?? []).reduce((sum, a) => sum + a.bytes, 0);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Bytes that were not UTF-8 arrive as U+FFFD; a lone surrogate cannot be encoded at all. */
function isWellFormedText(value: string): boolean {
  // String#isWellFormed (Node 20) is native and much faster than the regex, which stays as the fallback.
  const native = (value as { isWellFormed?: () => boolean }).isWellFormed?.();
  return !value.includes('\uFFFD') && (native ?? !LONE_SURROGATE.test(value));
}

export type EmailJobInput = z.input<typeof emailJobInputSchema>;
export type EmailJob = z.output<typeof emailJobSchema>;

export function countRecipients(job: Pick<EmailJob, 'to' | 'cc' | 'bcc'>): number {
  return (job.to?.length ?? 0) + (job.cc?.length ?? 0) + (job.bcc?.length ?? 0);
}

export interface FieldProblem {
  path: string;
  message: string;
}

/** Thrown by `enqueue()` for input that does not match the contract; names every bad field. */
export class EmailJobValidationError extends Error {
  override name = 'EmailJobValidationError';

  constructor(
    readonly problems: FieldProblem[],
    options?: { cause?: unknown },
  ) {
    super(`Invalid e-mail job: ${problems.map((p) => `${p.path || '(job)'}: ${p.message}`).join('; ')}`, options);
  }
}

function toPath(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index > 0 ? '.' : ''}${String(key)}`)).join('');
}

/** Parses stored job data; throws EmailJobValidationError naming each bad field. */
export function parseEmailJob(data: unknown): EmailJob {
  const result = emailJobSchema.safeParse(data);
  if (result.success) return result.data;
  throw new EmailJobValidationError(
    result.error.issues.map((issue) => ({ path: toPath(issue.path), message: issue.message })),
    { cause: result.error },
  );
}
