// Fairness that does not depend on anybody's backlog: an e-mail for an idle mailbox queued during a
// bulk burst for another mailbox is taken up after the same few jobs whether the burst holds 1,000
// or 10,000 e-mails. Counted in jobs the worker takes up (its 'active' events), not timed.
import type { Job } from 'bullmq';
import { DUE_BULK_PRIORITY, type EmailPriority } from '@omikai/graph-mailer-client';
import { sampleEmail, userDocument, accountDocument, usePipelineFixture, type TestPipeline } from '../support/test-pipeline';

const fx = usePipelineFixture();
const CONCURRENCY = 10;
/** Jobs of the burst the worker takes up before the idle mailbox's e-mail is queued. */
const TAKEN_UP_FIRST = 100;

async function startPipeline(): Promise<TestPipeline> {
  return fx.start({
    documents: { accounts: [accountDocument('acc-1')], users: [userDocument('anna', 'acc-1', 'anna@contoso.example')] },
    // info@'s burst cannot leave faster than 10 a second: nearly all of it is set aside until its slot.
    env: {
      FLOW_MAILBOX_MESSAGES: '10',
      FLOW_MAILBOX_WINDOW_MS: '1000',
      FLOW_MAILBOX_CONCURRENCY: '4',
      WORKER_CONCURRENCY: String(CONCURRENCY),
    },
  });
}

/**
 * Queues a burst of `size` e-mails from info@ while the worker is paused, lets it take up the first
 * TAKEN_UP_FIRST, queues one e-mail from anna@ (idle) and returns how many jobs the worker took up
 * between queueing it and taking it up.
 */
async function jobsTakenBeforeIdle(pipeline: TestPipeline, size: number, burstPriority: EmailPriority): Promise<number> {
  const { worker } = pipeline.runtime;
  const taken: string[] = [];
  const waiters: { done: () => boolean; resolve: () => void }[] = [];
  worker.on('active', (job: Job) => {
    taken.push(job.id!);
    for (const waiter of waiters.filter((w) => w.done())) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const takenUp = (done: () => boolean) => new Promise<void>((resolve) => (done() ? resolve() : waiters.push({ done, resolve })));

  await worker.pause(true);
  for (let i = 0; i < size; i += 1000) {
    const chunk = Array.from({ length: Math.min(1000, size - i) }, (_, j) => sampleEmail({ subject: `statement ${i + j}` }));
    await pipeline.producer.enqueueMany(chunk, { priority: burstPriority });
  }
  worker.resume();
  await takenUp(() => taken.length >= TAKEN_UP_FIRST);

  const before = taken.length;
  const { jobId } = await pipeline.producer.enqueue(sampleEmail({ userId: 'anna', subject: 'Your password reset' }));
  await takenUp(() => taken.includes(jobId));
  expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });
  return taken.indexOf(jobId) - before;
}

describe('fairness at any burst size', () => {
  const counts: Record<number, number> = {};

  it.each([1_000, 10_000])(
    'after a bulk burst of %i, the idle mailbox’s e-mail is taken up within the jobs already being fetched',
    async (size) => {
      const pipeline = await startPipeline();
      counts[size] = await jobsTakenBeforeIdle(pipeline, size, 'bulk');
      // Only jobs the worker was already fetching can come first: at most one per place of concurrency.
      expect(counts[size]).toBeLessThanOrEqual(CONCURRENCY);
      // The burst's jobs set aside until their slots come back ahead of those not yet taken up.
      const setAside = await pipeline.queue.getDelayed(0, 49);
      expect(setAside.length).toBeGreaterThan(0);
      expect(setAside.map((job) => job.priority)).toEqual(setAside.map(() => DUE_BULK_PRIORITY));
    },
    60_000,
  );

  it('the count is the same (within the concurrency) after 1,000 and after 10,000', () => {
    expect(Object.keys(counts)).toHaveLength(2);
    expect(Math.abs(counts[10_000]! - counts[1_000]!)).toBeLessThanOrEqual(CONCURRENCY);
  });

  it('a burst nobody marked bulk is taken up first: the idle e-mail waits for the rest of it', async () => {
    const pipeline = await startPipeline();
    const count = await jobsTakenBeforeIdle(pipeline, 1_000, 'interactive');
    // BullMQ's wait list is first in, first out: nearly all of the burst not yet taken up comes first.
    expect(count).toBeGreaterThanOrEqual(1_000 - TAKEN_UP_FIRST - 2 * CONCURRENCY);
  }, 60_000);
});
