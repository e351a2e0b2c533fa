// Interactive or bulk: where an e-mail goes in BullMQ's order (its job option `priority`), so a
// worker takes an urgent e-mail before a month-end run's, and which lane of its mailbox's slots it uses.
import type { JobsOptions } from 'bullmq';

export type EmailPriority = 'interactive' | 'bulk';

/**
 * BullMQ's `priority` of a bulk e-mail nobody has taken up yet. BullMQ takes jobs without a
 * priority (interactive) first, then the prioritized ones, lowest number first. Any value from 2
 * up marks bulk for other clients.
 */
export const BULK_PRIORITY = 10;

/**
 * The worker sets a bulk e-mail it puts aside until its send slot to this, so when the slot comes it
 * goes ahead of bulk e-mails not yet taken up: a backlog keeps its mailbox's pace during a burst.
 */
export const DUE_BULK_PRIORITY = 1;

/** The job options that mark an e-mail's priority (none for interactive: BullMQ runs those first). */
export function priorityJobOptions(priority: EmailPriority): Pick<JobsOptions, 'priority'> {
  return priority === 'bulk' ? { priority: BULK_PRIORITY } : {};
}

/** A job with any BullMQ priority is bulk; one without (what a client that marks nothing sends) is interactive. */
export function priorityOfJob(opts: { priority?: number | undefined }): EmailPriority {
  return (opts.priority ?? 0) > 0 ? 'bulk' : 'interactive';
}
