// The checks Graph applies to a sendMail body, as a pure function from JSON to verdict.
import type { GraphError } from './graph-errors';

export type SendMailValidation =
  { ok: true; message: Record<string, unknown>; saveToSentItems: boolean } | { ok: false; error: GraphError };

export const MAX_RECIPIENTS = 500;
export const MAX_INTERNET_MESSAGE_HEADERS = 5;

const RECIPIENT_FIELDS = ['toRecipients', 'ccRecipients', 'bccRecipients'] as const;
const EMAIL_ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:".]+$/;

/** Validates `{message, saveToSentItems}` sent as `mailbox` (the lower-case address from the URL). */
export function validateSendMailBody(body: unknown, mailbox: string): SendMailValidation {
  if (!isObject(body) || !isObject(body.message)) {
    return fail(400, 'RequestBodyRead', "The request body must be a JSON object with a 'message' object.");
  }
  const { message } = body;
  if (body.saveToSentItems !== undefined && typeof body.saveToSentItems !== 'boolean') {
    return fail(400, 'RequestBodyRead', "Cannot convert the literal 'saveToSentItems' to the expected type 'Edm.Boolean'.");
  }

  const recipients = collectRecipients(message);
  if (!recipients.ok) return recipients;
  if (recipients.addresses.length === 0) {
    return fail(400, 'ErrorInvalidRecipients', 'At least one recipient is required, but none were found.');
  }
  if (recipients.addresses.length > MAX_RECIPIENTS) {
    return fail(
      400,
      'ErrorInvalidRecipients',
      `The message has ${recipients.addresses.length} recipients; at most ${MAX_RECIPIENTS} are allowed.`,
    );
  }
  const invalid = recipients.addresses.find((address) => !EMAIL_ADDRESS.test(address));
  if (invalid !== undefined) {
    return fail(
      400,
      'ErrorInvalidRecipients',
      `At least one recipient isn't valid., Recipient '${invalid}' isn't resolved. All recipients must be resolved before a message can be submitted.`,
    );
  }

  const headers = checkInternetMessageHeaders(message.internetMessageHeaders);
  if (headers) return headers;

  const from = addressOf(message.from);
  if (from !== undefined && from.toLowerCase() !== mailbox) {
    return fail(
      403,
      'ErrorSendAsDenied',
      'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.',
    );
  }

  return { ok: true, message, saveToSentItems: body.saveToSentItems !== false };
}

function collectRecipients(message: Record<string, unknown>): { ok: true; addresses: string[] } | { ok: false; error: GraphError } {
  const addresses: string[] = [];
  for (const field of RECIPIENT_FIELDS) {
    const list = message[field];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) return fail(400, 'RequestBodyRead', `'${field}' must be an array of recipients.`);
    for (const recipient of list) addresses.push(addressOf(recipient) ?? '');
  }
  return { ok: true, addresses };
}

function checkInternetMessageHeaders(headers: unknown): { ok: false; error: GraphError } | undefined {
  if (headers === undefined || headers === null) return undefined;
  if (!Array.isArray(headers)) {
    return fail(400, 'RequestBodyRead', "'internetMessageHeaders' must be an array of {name, value}.");
  }
  if (headers.length === 0) {
    return fail(400, 'InvalidInternetMessageHeaderCollection', "The internet message header collection can't be empty.");
  }
  if (headers.length > MAX_INTERNET_MESSAGE_HEADERS) {
    return fail(
      400,
      'InvalidInternetMessageHeaderCollection',
      `Maximum number of headers in one message should be less than or equal to ${MAX_INTERNET_MESSAGE_HEADERS}.`,
    );
  }
  for (const header of headers) {
    const name = isObject(header) && typeof header.name === 'string' ? header.name : '';
    if (!/^x-/i.test(name)) {
      return fail(400, 'InvalidInternetMessageHeader', `The internet message header name '${name}' should start with 'x-' or 'X-'.`);
    }
  }
  return undefined;
}

/** `{emailAddress: {address}}` → address. */
function addressOf(recipient: unknown): string | undefined {
  if (!isObject(recipient) || !isObject(recipient.emailAddress)) return undefined;
  const { address } = recipient.emailAddress;
  return typeof address === 'string' ? address : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(status: number, code: string, message: string): { ok: false; error: GraphError } {
  return { ok: false, error: { status, code, message } };
}
