// Puts e-mail jobs into a fresh queue and runs them through a stand-in worker that ends each the way
// the real one would (failedReason written by describeFailure), so CLI and dashboard tests start
// from known failed and completed jobs without Graph.
import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import {
  type Failure,
  describeFailure,
  EMAIL_JOB_SCHEMA_VERSION,
  SEND_EMAIL_JOB_NAME,
  type EmailJobInput,
} from '@omikai/graph-mailer-client';
import { sampleEmail } from '../../support/test-pipeline';

export const SECRET_BODY = 'Confidential salary statement 4711 for Anna';
export const SECRET_ATTACHMENT_TEXT = 'IBAN DE89 3704 0044 0532 0130 00';
export const SECRET_RECIPIENT = 'anna.private@example.org';

/** An e-mail whose body, attachment and recipient must never appear outside the worker. */
export function secretEmail(overrides: Partial<EmailJobInput> = {}): EmailJobInput {
  return sampleEmail({
    to: [{ address: SECRET_RECIPIENT, name: 'Anna Private' }],
    html: `<p>${SECRET_BODY}</p>`,
    text: SECRET_BODY,
    attachments: [
      { name: 'statement.txt', contentType: 'text/plain', contentBase64: Buffer.from(SECRET_ATTACHMENT_TEXT).toString('base64') },
    ],
    ...overrides,
  });
}

export interface SeedJob {
  id: string;
  email?: EmailJobInput;
  /** How the job ends; omitted: it completes as sent. */
  failure?: Failure;
  /** Fail this many attempts with a retryable error before the final outcome. */
  retriesFirst?: number;
}

export interface SeededQueue {
  queue: Queue;
  close(): Promise<void>;
}

export async function seedJobs(jobs: readonly SeedJob[]): Promise<SeededQueue> {
  const connection = { url: process.env.REDIS_URL! };
  const queue = new Queue(`test-${randomUUID()}`, { connection });
  const byId = new Map(jobs.map((job) => [job.id, job]));
  const worker = new Worker(
    queue.name,
    async (job) => {
      const seed = byId.get(job.id ?? '');
      if (seed?.retriesFirst && job.attemptsMade < seed.retriesFirst) {
        throw new Error(`Graph had a temporary problem (HTTP 503) on attempt ${job.attemptsMade + 1}; retrying later.`);
      }
      if (seed?.failure) throw new UnrecoverableError(describeFailure(seed.failure));
      return {
        status: 'sent',
        sender: 'info@contoso.example',
        senderSource: 'account',
        graphRequestId: 'req-sent-1',
        deliveryRecorded: true,
      };
    },
    { connection, autorun: false, concurrency: 5 },
  );
  const ended = new Promise<void>((resolve) => {
    let count = 0;
    const onEnd = () => (++count === jobs.length ? resolve() : undefined);
    worker.on('completed', onEnd);
    // A retried attempt also emits 'failed'; only the final one sets finishedOn.
    worker.on('failed', (job) => (job?.finishedOn ? onEnd() : undefined));
  });
  await queue.addBulk(
    jobs.map((job) => ({
      name: SEND_EMAIL_JOB_NAME,
      data: { ...(job.email ?? secretEmail()), schemaVersion: EMAIL_JOB_SCHEMA_VERSION },
      opts: { jobId: job.id, attempts: (job.retriesFirst ?? 0) + 3 },
    })),
  );
  void worker.run();
  await ended;
  await worker.close();
  return {
    queue,
    close: async () => {
      await queue.obliterate({ force: true });
      await queue.close();
    },
  };
}
