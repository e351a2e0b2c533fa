// Turns an e-mail job into the body of Graph's POST /users/{sender}/sendMail, and checks that body's size.
import type { EmailJob, FieldProblem } from './email-job';

/** Graph caps the whole sendMail request at 4 MB; we stay a little below it. */
export const MAX_SEND_MAIL_REQUEST_BYTES = 4_000_000;

type JobMessageFields = Pick<
  EmailJob,
  'to' | 'cc' | 'bcc' | 'replyTo' | 'subject' | 'html' | 'text' | 'importance' | 'headers' | 'attachments' | 'saveToSentItems'
>;

interface GraphRecipient {
  emailAddress: { address: string; name?: string };
}

export interface SendMailBody {
  message: {
    subject: string;
    body: { contentType: 'HTML' | 'Text'; content: string };
    toRecipients: GraphRecipient[];
    ccRecipients: GraphRecipient[];
    bccRecipients: GraphRecipient[];
    replyTo?: GraphRecipient[];
    importance?: 'low' | 'normal' | 'high';
    internetMessageHeaders?: { name: string; value: string }[];
    attachments?: Record<string, unknown>[];
  };
  saveToSentItems: boolean;
}

const toRecipients = (addresses: JobMessageFields['to'] = []): GraphRecipient[] =>
  addresses.map(({ address, name }) => ({ emailAddress: name === undefined ? { address } : { address, name } }));

/** A message has one body: HTML when the job has it, else the plain text. */
export function buildSendMailBody(job: JobMessageFields): SendMailBody {
  const headers = Object.entries(job.headers ?? {});
  return {
    message: {
      subject: job.subject,
      body: job.html !== undefined ? { contentType: 'HTML', content: job.html } : { contentType: 'Text', content: job.text ?? '' },
      toRecipients: toRecipients(job.to),
      ccRecipients: toRecipients(job.cc),
      bccRecipients: toRecipients(job.bcc),
      ...(job.replyTo?.length ? { replyTo: toRecipients(job.replyTo) } : {}),
      ...(job.importance ? { importance: job.importance } : {}),
      // Graph rejects an empty header array, so leave the field out instead.
      ...(headers.length ? { internetMessageHeaders: headers.map(([name, value]) => ({ name, value })) } : {}),
      ...(job.attachments?.length
        ? {
            attachments: job.attachments.map((file) => ({
              '@odata.type': '#microsoft.graph.fileAttachment',
              name: file.name,
              contentType: file.contentType,
              contentBytes: file.contentBase64,
              ...(file.contentId ? { contentId: file.contentId } : {}),
              ...(file.isInline ? { isInline: true } : {}),
            })),
          }
        : {}),
    },
    saveToSentItems: job.saveToSentItems ?? true,
  };
}

export function sendMailBodyBytes(body: SendMailBody): number {
  return Buffer.byteLength(JSON.stringify(body));
}

/**
 * The producer's extra check: the whole Graph request must stay under 4 MB. The worker does not
 * repeat it (Graph answers 413, classified as too-large), which keeps serialisation off its hot path.
 */
export function graphRequestSizeProblem(job: EmailJob, maxBytes = MAX_SEND_MAIL_REQUEST_BYTES): FieldProblem | undefined {
  if (job.content !== undefined) return undefined; // checked by the producer on the content before it is stored
  if (sendMailBodyUpperBoundBytes(job) <= maxBytes) return undefined;
  const bytes = sendMailBodyBytes(buildSendMailBody(job));
  if (bytes <= maxBytes) return undefined;
  const limit = maxBytes === MAX_SEND_MAIL_REQUEST_BYTES ? '4 MB' : `${(maxBytes / 1_000_000).toFixed(1)} MB (maxMessageBytes)`;
  return {
    path: 'attachments',
    message:
      `the Graph sendMail request would be ${(bytes / 1_000_000).toFixed(1)} MB; the limit is ${limit} ` +
      '(as base64 adds a third to attachments): send large files as links, or use draft sending (microsoftGraph.sendMode)',
  };
}

/**
 * A cheap bound on the request size, so the usual small e-mail skips serialising its body:
 * JSON escaping turns a character into at most 6 bytes (\u00XX); base64 needs no escaping.
 */
function sendMailBodyUpperBoundBytes(job: EmailJob): number {
  const text = [job.subject, job.html ?? '', job.text ?? '', ...Object.entries(job.headers ?? {}).flat()];
  const recipients = [job.to, job.cc, job.bcc, job.replyTo].flatMap((list) => list ?? []);
  const attachments = job.attachments ?? [];
  return (
    6 * text.reduce((sum, part) => sum + part.length, 0) +
    recipients.reduce((sum, r) => sum + 64 + 6 * (r.address.length + (r.name?.length ?? 0)), 0) +
    attachments.reduce(
      (sum, a) => sum + 128 + a.contentBase64.length + 6 * (a.name.length + a.contentType.length + (a.contentId?.length ?? 0)),
      0,
    ) +
    1024
  );
}
