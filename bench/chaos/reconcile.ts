// Reconciles what Graph received with the delivery records and the job states, e-mail by e-mail.
// Pure: the harness gathers the three views, this decides what each e-mail came to.
import type { DeliveryRecord } from '@omikai/graph-mailer-client';

export interface AcceptedJob {
  /** The e-mail's own key (its idempotencyKey, also in its x-chaos-key header). */
  key: string;
  jobId: string;
}

export interface JobEnd {
  state: string;
  failedReason?: string;
}

export interface ReconcileInput {
  /** Every e-mail enqueue() acknowledged. */
  accepted: AcceptedJob[];
  /** The key of each message Graph accepted, one entry per receipt (undefined: no key found). */
  receivedKeys: (string | undefined)[];
  recordsByJobId: ReadonlyMap<string, DeliveryRecord>;
  /** BullMQ's view of the jobs whose record does not say sent. */
  jobEnds: ReadonlyMap<string, JobEnd>;
  /** Jobs that were 'sending' when a worker was killed, and when Redis was stopped. */
  inFlightAtKills: ReadonlySet<string>;
  inFlightAtRedisRestarts: ReadonlySet<string>;
}

export interface Reconciliation {
  sent: number;
  failedWithReason: number;
  /** Acknowledged by enqueue() but neither sent nor failed with a reason (including "recorded sent, never received"). */
  lost: number;
  /** E-mails Graph received more than once. */
  duplicates: number;
  /** Copies beyond the first, over all duplicated e-mails. */
  extraCopies: number;
  /** Records flagged possibleDuplicate (received twice or not). */
  flaggedPossibleDuplicate: number;
  /** Received more than once, but the record does not say possibleDuplicate. */
  unflaggedDuplicates: number;
  /** Duplicates of jobs that were in flight at a worker kill; else at a Redis restart; else neither. */
  duplicatesAtKills: number;
  duplicatesAtRedisRestarts: number;
  duplicatesElsewhere: number;
  recordedSentNotReceived: number;
  receivedNotRecordedSent: number;
  /** Receipts that match no acknowledged e-mail. */
  receivedUnknown: number;
  /** A few lost keys, with what is known of them, for the report. */
  lostExamples: string[];
}

export function reconcile(input: ReconcileInput): Reconciliation {
  const { accepted, receivedKeys, recordsByJobId, jobEnds, inFlightAtKills, inFlightAtRedisRestarts } = input;
  const receipts = new Map<string, number>();
  for (const key of receivedKeys) if (key !== undefined) receipts.set(key, (receipts.get(key) ?? 0) + 1);
  const result: Reconciliation = {
    sent: 0,
    failedWithReason: 0,
    lost: 0,
    duplicates: 0,
    extraCopies: 0,
    flaggedPossibleDuplicate: 0,
    unflaggedDuplicates: 0,
    duplicatesAtKills: 0,
    duplicatesAtRedisRestarts: 0,
    duplicatesElsewhere: 0,
    recordedSentNotReceived: 0,
    receivedNotRecordedSent: 0,
    receivedUnknown: receivedKeys.filter((key) => key === undefined).length,
    lostExamples: [],
  };
  const acceptedKeys = new Set<string>();

  for (const { key, jobId } of accepted) {
    acceptedKeys.add(key);
    const copies = receipts.get(key) ?? 0;
    const record = recordsByJobId.get(jobId);
    const end = jobEnds.get(jobId);
    if (record?.possibleDuplicate) result.flaggedPossibleDuplicate += 1;
    if (copies > 1) {
      result.duplicates += 1;
      result.extraCopies += copies - 1;
      if (!record?.possibleDuplicate) result.unflaggedDuplicates += 1;
      if (inFlightAtKills.has(jobId)) result.duplicatesAtKills += 1;
      else if (inFlightAtRedisRestarts.has(jobId)) result.duplicatesAtRedisRestarts += 1;
      else result.duplicatesElsewhere += 1;
    }

    if (record?.status === 'sent' && copies > 0) {
      result.sent += 1;
      continue;
    }
    if (copies > 0) result.receivedNotRecordedSent += 1;
    const failedReason = record?.status === 'failed' ? record.error?.reason : end?.state === 'failed' ? end.failedReason : undefined;
    if (record?.status !== 'sent' && failedReason) {
      result.failedWithReason += 1;
      continue;
    }
    if (record?.status === 'sent') result.recordedSentNotReceived += 1;
    result.lost += 1;
    if (result.lostExamples.length < 10) {
      result.lostExamples.push(
        `${key} (job ${jobId}: record ${record?.status ?? 'none'}, job ${end?.state ?? 'unknown'}, received ${copies}×)`,
      );
    }
  }
  for (const [key, copies] of receipts) if (!acceptedKeys.has(key)) result.receivedUnknown += copies;
  return result;
}
