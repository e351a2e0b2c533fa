// Reads back a failed job's failedReason ("[category] reason (Graph request-id …)", see describeFailure).
import type { FailureCategory } from '../delivery/failure';

export const FAILURE_CATEGORIES: readonly FailureCategory[] = [
  'throttled',
  'transient',
  'unknown-outcome',
  'settings',
  'credentials',
  'permission',
  'policy-denied',
  'sender-mailbox',
  'invalid-recipient',
  'invalid-message',
  'too-large',
  'invalid-payload',
  'store',
  'unknown',
];

export interface ParsedFailedReason {
  category: FailureCategory;
  /** The sentence for people, without the category and the request-id. */
  reason: string;
  graphRequestId?: string;
}

const DESCRIBED = /^\[([a-z-]+)\] ([\s\S]*?)(?: \(Graph request-id ([^)\s]+)\))?$/;

export function isFailureCategory(value: string): value is FailureCategory {
  return (FAILURE_CATEGORIES as readonly string[]).includes(value);
}

/**
 * Anything not written by describeFailure (a stalled job, a crash outside the send path) is
 * category 'unknown' with the text kept as it is.
 */
export function parseFailedReason(failedReason: string | undefined): ParsedFailedReason {
  const text = (failedReason ?? '').trim();
  const match = DESCRIBED.exec(text);
  if (!match || !isFailureCategory(match[1] ?? '')) return { category: 'unknown', reason: text || '(no reason recorded)' };
  return {
    category: match[1] as FailureCategory,
    reason: match[2] ?? '',
    ...(match[3] ? { graphRequestId: match[3] } : {}),
  };
}

/** The first line of each attempt's error as BullMQ kept it, newest first, without the error class name. */
export function attemptMessages(stacktrace: readonly (string | null | undefined)[] | null | undefined): string[] {
  return (stacktrace ?? [])
    .filter((entry): entry is string => typeof entry === 'string' && entry.length > 0)
    .map((entry) => (entry.split('\n')[0] ?? '').replace(/^[A-Za-z]*Error: /, ''))
    .reverse();
}
