// What people may see of an e-mail job: never its body, attachments or addresses. Used by the
// dashboard's formatters and the ops CLI, so both redact the same way.

/** Only these fields leave the server; everything else in the job data is dropped. */
export interface EmailJobSummary {
  accountId?: string;
  userId?: string;
  subject?: string;
  recipientCount: number;
  attachmentCount: number;
  /** Names, types and sizes (bytes), from the job's content metadata or its inline attachments; never the bytes. */
  attachments?: AttachmentSummary[];
  correlation?: Record<string, string>;
  idempotencyKey?: string;
  sendAt?: string;
  /** Set when the job data is not an e-mail job object at all. */
  unreadable?: true;
}

export interface AttachmentSummary {
  name: string;
  contentType: string;
  bytes: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOf = (value: unknown, maxLength = 998): string | undefined =>
  typeof value === 'string' ? value.slice(0, maxLength) : undefined;
const lengthOf = (value: unknown): number => (Array.isArray(value) ? value.length : 0);

function correlationOf(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const entries = Object.entries(value)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .slice(0, 10)
    .map(([key, text]) => [key.slice(0, 64), text.slice(0, 256)]);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** Inline attachments (size from the base64 length) or the metadata of content in the payload store. */
function attachmentsOf(data: Record<string, unknown>): AttachmentSummary[] {
  const content = isRecord(data.content) ? data.content : undefined;
  const list = Array.isArray(data.attachments) ? data.attachments : Array.isArray(content?.attachments) ? content.attachments : [];
  return list.slice(0, 100).map((item: unknown) => {
    const attachment = isRecord(item) ? item : {};
    const base64 = typeof attachment.contentBase64 === 'string' ? attachment.contentBase64 : undefined;
    const bytes = typeof attachment.bytes === 'number' ? attachment.bytes : base64 ? Math.floor((base64.length * 3) / 4) : 0;
    return { name: stringOf(attachment.name, 255) ?? '?', contentType: stringOf(attachment.contentType, 255) ?? '?', bytes };
  });
}

/** Works on any data, valid or not (an invalid-payload job must not leak either). */
export function summarizeEmailJob(data: unknown): EmailJobSummary {
  if (!isRecord(data)) return { recipientCount: 0, attachmentCount: 0, unreadable: true };
  const attachments = attachmentsOf(data);
  const summary: EmailJobSummary = {
    recipientCount: lengthOf(data.to) + lengthOf(data.cc) + lengthOf(data.bcc),
    attachmentCount: attachments.length,
    ...(attachments.length > 0 ? { attachments } : {}),
  };
  const fields = {
    accountId: stringOf(data.accountId, 128),
    userId: stringOf(data.userId, 128),
    subject: stringOf(data.subject),
    idempotencyKey: stringOf(data.idempotencyKey, 256),
    sendAt: stringOf(data.sendAt, 64),
    correlation: correlationOf(data.correlation),
  };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) Object.assign(summary, { [key]: value });
  }
  return summary;
}

/** The parts of a SendEmailResult worth showing; unknown shapes become {}. */
export function summarizeSendResult(value: unknown): Record<string, string | boolean> {
  if (!isRecord(value)) return {};
  const kept: Record<string, string | boolean> = {};
  for (const key of ['status', 'sender', 'senderSource', 'graphRequestId', 'duplicateOfJobId', 'deliveryRecorded']) {
    const field = value[key];
    if (typeof field === 'string' || typeof field === 'boolean') kept[key] = typeof field === 'string' ? field.slice(0, 320) : field;
  }
  return kept;
}
