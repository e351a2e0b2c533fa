// Keeps recipient addresses out of everything that leaves the delivery record: Graph's error text
// ("Recipient 'x@y' isn't resolved") is rewritten to say which recipient of the job it was
// ("<to[1]>"), the sender mailbox stays named (admins need it), any other address is hidden.
import type { Failure } from '@omikai/graph-mailer-client';

interface Recipient {
  address: string;
}

export interface AddressMaskingContext {
  /** The mailbox the e-mail is sent from: kept as it is. */
  sender?: string;
  /** The job's recipient lists, to say which one an address is. */
  email?: { to?: readonly Recipient[]; cc?: readonly Recipient[]; bcc?: readonly Recipient[]; replyTo?: readonly Recipient[] };
}

const HIDDEN = '<address>';

/** Characters of a local part as they appear in messages (quotes and brackets end it). */
function isLocalChar(code: number): boolean {
  return code > 32 && code !== 64 && !'"\'<>()[],;:\\'.includes(String.fromCharCode(code)) && code !== 127;
}

/** Letters, digits, '-', '.' and any non-ASCII letter of an internationalised domain. */
function isDomainChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45 || code === 46 || code > 127
  );
}

function recipientLabels(email: AddressMaskingContext['email']): Map<string, string> {
  const labels = new Map<string, string>();
  for (const list of ['to', 'cc', 'bcc', 'replyTo'] as const) {
    email?.[list]?.forEach(({ address }, index) => {
      const key = address.toLowerCase();
      if (!labels.has(key)) labels.set(key, `<${list}[${index}]>`);
    });
  }
  return labels;
}

/**
 * Rewrites every address in `text`. One pass from each '@' outwards, no pattern that backtracks,
 * so text of any length costs time in proportion to its length.
 */
export function maskAddresses(text: string, context: AddressMaskingContext): string {
  let at = text.indexOf('@');
  if (at === -1) return text;
  const sender = context.sender?.toLowerCase();
  let labels: Map<string, string> | undefined;
  let result = '';
  let copiedUpTo = 0;
  while (at !== -1) {
    let start = at;
    while (start > copiedUpTo && isLocalChar(text.charCodeAt(start - 1))) start -= 1;
    let end = at + 1;
    while (end < text.length && isDomainChar(text.charCodeAt(end))) end += 1;
    // A full stop after an address ends the sentence.
    while (end > at + 1 && text.charCodeAt(end - 1) === 46) end -= 1;
    if (start < at && end > at + 1) {
      const address = text.slice(start, end).toLowerCase();
      if (address !== sender) {
        labels ??= recipientLabels(context.email);
        result += text.slice(copiedUpTo, start) + (labels.get(address) ?? HIDDEN);
        copiedUpTo = end;
      }
    }
    at = text.indexOf('@', Math.max(at + 1, end));
  }
  return copiedUpTo === 0 ? text : result + text.slice(copiedUpTo);
}

/** The failure with its reason, Graph's detail and the procedure masked; nothing else in a Failure holds free text. */
export function maskFailureAddresses(failure: Failure, context: AddressMaskingContext): Failure {
  const reason = maskAddresses(failure.reason, context);
  const detail = failure.detail === undefined ? undefined : maskAddresses(failure.detail, context);
  const procedure = failure.procedure === undefined ? undefined : maskAddresses(failure.procedure, context);
  if (reason === failure.reason && detail === failure.detail && procedure === failure.procedure) return failure;
  return { ...failure, reason, ...(detail !== undefined ? { detail } : {}), ...(procedure !== undefined ? { procedure } : {}) };
}
