// The text BullMQ keeps as a failed job's failedReason, written and read back here:
// "[category] reason Runbook: docs/runbook.md#section (Graph request-id …)", at most 400 characters.
import { clipText, type Failure, type FailureCategory } from '@omikai/graph-mailer-client';

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
  'content-missing',
  'content-corrupt',
  'store',
  'unknown',
];

/** Bull Board shows the failedReason as one block, and every attempt's message repeats it. */
export const MAX_FAILED_REASON_CHARS = 400;

/**
 * The runbook section of each category whose fix takes more than one line; its procedure, filled
 * in for the job, is in the delivery record. test/ops/failed-reason-budget.test.ts checks each exists.
 */
export const RUNBOOK_SECTIONS: Partial<Record<FailureCategory, string>> = {
  'policy-denied': 'docs/runbook.md#policy-denied',
  permission: 'docs/runbook.md#permission',
  credentials: 'docs/runbook.md#credentials',
  settings: 'docs/runbook.md#settings',
  'content-missing': 'docs/runbook.md#content',
  'content-corrupt': 'docs/runbook.md#content',
};

export interface ParsedFailedReason {
  category: FailureCategory;
  /** The sentences for people, without the category, the runbook link and the request-id. */
  reason: string;
  /** Where the whole fix is written down, e.g. docs/runbook.md#policy-denied. */
  runbook?: string;
  graphRequestId?: string;
}

const RUNBOOK_LABEL = ' Runbook: ';
const DESCRIBED = /^\[([a-z-]+)\] ([\s\S]*?)(?: Runbook: (docs\/runbook\.md#[a-z0-9-]+))?(?: \(Graph request-id ([^)\s]+)\))?$/;

export function isFailureCategory(value: string): value is FailureCategory {
  return (FAILURE_CATEGORIES as readonly string[]).includes(value);
}

/**
 * The job's failedReason: category, reason, runbook link and request-id. A reason too long for
 * MAX_FAILED_REASON_CHARS is cut (ending in "…"); the category, link and request-id always stay.
 */
export function describeFailure(failure: Pick<Failure, 'category' | 'reason' | 'graphRequestId'>): string {
  const head = `[${failure.category}] `;
  const runbook = RUNBOOK_SECTIONS[failure.category];
  const tail = `${runbook ? `${RUNBOOK_LABEL}${runbook}` : ''}${failure.graphRequestId ? ` (Graph request-id ${failure.graphRequestId})` : ''}`;
  const room = MAX_FAILED_REASON_CHARS - head.length - tail.length;
  const reason = failure.reason.length <= room ? failure.reason : clipText(failure.reason, room);
  return `${head}${reason}${tail}`;
}

/**
 * Reads back what describeFailure wrote (also the longer reasons of earlier versions, which had no
 * runbook link). Anything else (a stalled job, a crash outside the send path) is category
 * 'unknown' with the text kept as it is.
 */
export function parseFailedReason(failedReason: string | undefined): ParsedFailedReason {
  const text = (failedReason ?? '').trim();
  const match = DESCRIBED.exec(text);
  if (!match || !isFailureCategory(match[1] ?? '')) return { category: 'unknown', reason: text || '(no reason recorded)' };
  return {
    category: match[1] as FailureCategory,
    reason: match[2] ?? '',
    ...(match[3] ? { runbook: match[3] } : {}),
    ...(match[4] ? { graphRequestId: match[4] } : {}),
  };
}

/** The first line of each attempt's error as BullMQ kept it, newest first, without the error class name. */
export function attemptMessages(stacktrace: readonly (string | null | undefined)[] | null | undefined): string[] {
  return (stacktrace ?? [])
    .filter((entry): entry is string => typeof entry === 'string' && entry.length > 0)
    .map((entry) => (entry.split('\n')[0] ?? '').replace(/^[A-Za-z]*Error: /, ''))
    .reverse();
}
