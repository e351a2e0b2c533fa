// The job payload as JSON Schema, generated from the zod schema, for producers in other languages.
import { z } from 'zod';
import { EMAIL_JOB_SCHEMA_VERSION, EMAIL_QUEUE_NAME, SEND_EMAIL_JOB_NAME, emailJobSchema } from './email-job';

export function emailJobJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(emailJobSchema, { io: 'input', target: 'draft-2020-12' }),
    title: `Omikai e-mail job (schemaVersion ${EMAIL_JOB_SCHEMA_VERSION}; version 1 is still accepted)`,
    description:
      `Data of a BullMQ job named "${SEND_EMAIL_JOB_NAME}" on the queue "${EMAIL_QUEUE_NAME}" (configurable). ` +
      'Rules JSON Schema cannot express: to + cc + bcc hold 1 to 500 recipients; html or text is given; at most 5 headers, named x-… ' +
      '(all checked by the worker); the Graph request (attachments as base64 included) stays under 4,000,000 bytes (checked by enqueue(), ' +
      'up to its maxMessageBytes; Graph itself refuses larger sendMail requests with 413) unless the account sends as drafts ' +
      "(microsoftGraph.sendMode draft or auto: up to the mailbox's maxSendSizeMb, checked by the worker). " +
      'Control characters (U+0000-U+001F, U+007F-U+009F) in subject, display names and attachment names are turned into spaces. ' +
      'The sender and credentials never come from the job: they come from the account and user settings. ' +
      'Content is either inline (html, text, attachments[].contentBase64) or, with schemaVersion 2, in the payload store: ' +
      '"content" then names the payload (id: 24 lower-case hex digits; sha256 of its bytes) and its layout (htmlBytes, textBytes, ' +
      "then each attachment's bytes, in this order), and html, text and attachments are absent. The payload's metadata.accountId " +
      "must be the job's accountId (README: Other clients).",
  };
}
