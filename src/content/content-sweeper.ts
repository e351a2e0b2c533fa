// Enforces content retention: removes payloads whose job is gone (orphans: the producer died between
// write and add, or a removal was lost), whose job finished and needs them no more, or that expired.
import type { JobState, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { toError, type PayloadRetention, type PayloadWriter, type StoredPayload } from '@omikai/graph-mailer-client';

/** A payload younger than this is never an orphan: its producer may still be adding the job. */
export const ORPHAN_GRACE_MS = 60 * 60_000;

export interface SweepSubject {
  payload: StoredPayload;
  /** undefined: the job is not in Redis. */
  job?: { state: JobState | 'unknown'; payloadId: string | undefined; finishedOn: number | undefined };
}

const STILL_TO_SEND: ReadonlySet<string> = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children', 'unknown']);

/** Pure: whether the sweeper removes this payload now. */
export function shouldRemovePayload({ payload, job }: SweepSubject, nowMs: number, retentionAfterSentMs: number): boolean {
  // Its job was never recorded (the producer stopped between add and record): only its expiry removes it.
  if (payload.metadata.jobId === '') return payload.metadata.expiresAt.getTime() <= nowMs;
  if (!job || job.payloadId !== payload.id) return true; // an orphan
  if (STILL_TO_SEND.has(job.state)) return false; // never while the e-mail may still be sent
  if (job.state === 'completed') return (job.finishedOn ?? 0) + retentionAfterSentMs <= nowMs;
  return payload.metadata.expiresAt.getTime() <= nowMs;
}

export interface SweepOptions {
  payloads: PayloadRetention & Pick<PayloadWriter, 'remove'>;
  queue: Pick<Queue, 'getJob' | 'name'>;
  retentionAfterSentMs: number;
  now: () => number;
}

export interface SweepReport {
  looked: number;
  removed: number;
}

/** One pass over every payload of this queue older than the orphan grace. */
export async function sweepPayloads({ payloads, queue, retentionAfterSentMs, now }: SweepOptions): Promise<SweepReport> {
  const report: SweepReport = { looked: 0, removed: 0 };
  for await (const payload of payloads.list(new Date(now() - ORPHAN_GRACE_MS))) {
    if (payload.metadata.queueName !== queue.name) continue;
    report.looked += 1;
    const job = payload.metadata.jobId ? await queue.getJob(payload.metadata.jobId) : undefined;
    const subject: SweepSubject = {
      payload,
      ...(job
        ? {
            job: {
              state: await job.getState(),
              payloadId: (job.data as { content?: { id?: string } } | undefined)?.content?.id,
              finishedOn: job.finishedOn,
            },
          }
        : {}),
    };
    if (!shouldRemovePayload(subject, now(), retentionAfterSentMs)) continue;
    // One at a time, through GridFSBucket.delete: the file and its chunks go together.
    await payloads.remove([payload.id]);
    report.removed += 1;
  }
  return report;
}

/** Runs the sweeper every `intervalMs` in the background; errors are logged and the next pass tries again. */
export function startContentSweeper(options: SweepOptions & { intervalMs: number; logger: Logger }): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const pass = () => {
    running = sweepPayloads(options)
      .then((report) => {
        if (report.removed > 0) options.logger.info(report, 'content sweeper removed payloads');
      })
      .catch((err: unknown) => options.logger.warn({ err: toError(err).message }, 'content sweeper pass failed; trying again later'));
  };
  const timer = setInterval(pass, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
