// An e-mail's content as bytes and back: the html body, the text body, then each attachment, laid
// out one after the other; the job keeps the layout (lengths, names, types), the store the bytes.
import { createHash } from 'node:crypto';
import { layoutBytes, type ContentLayout, type EmailJob } from './email-job';

export interface ContentAttachment {
  name: string;
  contentType: string;
  contentId?: string;
  isInline?: boolean;
  data: Buffer;
}

/** Bodies and attachments as bytes: what goes into the payload store. */
export interface EmailContent {
  html?: string;
  text?: string;
  attachments?: ContentAttachment[];
}

export interface PackedContent {
  data: Buffer;
  layout: ContentLayout;
  sha256: string;
}

/** The inline fields of a job, as the worker sends them. */
export type InlineContent = Pick<EmailJob, 'html' | 'text' | 'attachments'>;

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function contentBytes(content: EmailContent): number {
  return (
    (content.html === undefined ? 0 : Buffer.byteLength(content.html)) +
    (content.text === undefined ? 0 : Buffer.byteLength(content.text)) +
    (content.attachments ?? []).reduce((sum, a) => sum + a.data.length, 0)
  );
}

export function packContent(content: EmailContent): PackedContent {
  const html = content.html === undefined ? undefined : Buffer.from(content.html, 'utf8');
  const text = content.text === undefined ? undefined : Buffer.from(content.text, 'utf8');
  const attachments = content.attachments ?? [];
  const data = Buffer.concat([...(html ? [html] : []), ...(text ? [text] : []), ...attachments.map((a) => a.data)]);
  const layout: ContentLayout = {
    bytes: data.length,
    ...(html ? { htmlBytes: html.length } : {}),
    ...(text ? { textBytes: text.length } : {}),
    ...(attachments.length > 0 ? { attachments: attachments.map(({ data: bytes, ...meta }) => ({ ...meta, bytes: bytes.length })) } : {}),
  };
  return { data, layout, sha256: sha256Hex(data) };
}

export class ContentLayoutError extends Error {
  override name = 'ContentLayoutError';
}

/** The inline form of stored bytes; throws ContentLayoutError when the bytes do not fit the layout. */
export function unpackContent(data: Buffer, layout: ContentLayout): InlineContent {
  if (data.length !== layout.bytes || layoutBytes(layout) !== layout.bytes) {
    throw new ContentLayoutError(`the payload holds ${data.length} bytes, the job's layout says ${layout.bytes}`);
  }
  let offset = 0;
  const take = (length: number) => data.subarray(offset, (offset += length));
  const html = layout.htmlBytes === undefined ? undefined : take(layout.htmlBytes).toString('utf8');
  const text = layout.textBytes === undefined ? undefined : take(layout.textBytes).toString('utf8');
  const attachments = layout.attachments?.map(({ bytes, ...meta }) => ({ ...meta, contentBase64: take(bytes).toString('base64') }));
  return { ...(html !== undefined ? { html } : {}), ...(text !== undefined ? { text } : {}), ...(attachments ? { attachments } : {}) };
}

/** The content of an inline job as bytes; undefined when it has none inline. */
export function inlineContentOf(email: InlineContent): EmailContent | undefined {
  if (email.html === undefined && email.text === undefined && (email.attachments ?? []).length === 0) return undefined;
  return {
    ...(email.html !== undefined ? { html: email.html } : {}),
    ...(email.text !== undefined ? { text: email.text } : {}),
    ...(email.attachments
      ? { attachments: email.attachments.map(({ contentBase64, ...meta }) => ({ ...meta, data: Buffer.from(contentBase64, 'base64') })) }
      : {}),
  };
}
