// Turns an e-mail job into the body of Graph's POST /users/{sender}/sendMail.
import type { EmailJob } from './email-job';

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
