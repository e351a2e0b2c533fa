// Enqueues e-mails with the real producer at a steady rate, as an ERP would. When Redis is away the
// producer throws QueueUnavailableError (or, with durable enqueue, EnqueueNotReplicatedError); the
// e-mail is enqueued again with the same idempotencyKey, as the error message advises (a repeat is never sent twice).
import { QueueUnavailableError, type EmailProducer, EnqueueNotReplicatedError, type EmailJobInput } from '@omikai/graph-mailer-client';

export interface PacedEnqueueOptions {
  producer: EmailProducer;
  total: number;
  perSecond: number;
  email(index: number): EmailJobInput;
  /** Called once per e-mail enqueue() acknowledged. */
  onAccepted(index: number, jobId: string): void;
  /** Called when an enqueue is refused and will be retried. */
  onRefused?(err: Error): void;
  deadlineMs: number;
  signal?: AbortSignal;
}

export interface PacedEnqueueResult {
  accepted: number;
  /** Batches enqueued again after QueueUnavailableError. */
  retries: number;
  /** E-mails never acknowledged (the deadline came first): not counted as accepted. */
  notAccepted: number;
}

const RETRY_PAUSE_MS = 500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export async function enqueuePaced({
  producer,
  total,
  perSecond,
  email,
  onAccepted,
  onRefused,
  deadlineMs,
  signal,
}: PacedEnqueueOptions): Promise<PacedEnqueueResult> {
  const batchSize = Math.max(1, Math.round(perSecond / 10));
  const startedAtMs = Date.now();
  const result: PacedEnqueueResult = { accepted: 0, retries: 0, notAccepted: 0 };
  for (let first = 0; first < total; first += batchSize) {
    const indexes = Array.from({ length: Math.min(batchSize, total - first) }, (_, i) => first + i);
    await sleep(startedAtMs + (first / perSecond) * 1000 - Date.now());
    const inputs = indexes.map(email);
    for (;;) {
      if (Date.now() > deadlineMs || signal?.aborted) {
        result.notAccepted += total - first;
        return result;
      }
      try {
        const added = await producer.enqueueMany(inputs);
        added.forEach(({ jobId }, i) => onAccepted(indexes[i] ?? -1, jobId));
        result.accepted += added.length;
        break;
      } catch (err: unknown) {
        if (!(err instanceof QueueUnavailableError) && !(err instanceof EnqueueNotReplicatedError)) throw err;
        result.retries += 1;
        onRefused?.(err);
        await sleep(RETRY_PAUSE_MS);
      }
    }
  }
  return result;
}
