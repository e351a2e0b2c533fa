// Nothing sent twice for one idempotency key, jobs written by any BullMQ client, and graceful shutdown.
import { Queue } from 'bullmq';
import { EMAIL_JOB_SCHEMA_VERSION, SEND_EMAIL_JOB_NAME, idempotentJobId } from '@omikai/graph-mailer-client';
import { sampleEmail, type TestPipeline, usePipelineFixture } from '../support/test-pipeline';

const fx = usePipelineFixture();
let pipeline: TestPipeline;

describe('idempotency', () => {
  it('the same idempotencyKey enqueued twice sends once', async () => {
    pipeline = await fx.start();
    const first = await pipeline.producer.enqueue(sampleEmail({ idempotencyKey: 'invoice-1042-email' }));
    const second = await pipeline.producer.enqueue(sampleEmail({ idempotencyKey: 'invoice-1042-email' }));
    expect(second.jobId).toBe(first.jobId);
    expect(await pipeline.waitForEnd(first.jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent).toHaveLength(1);
  });

  it('sends once even after the first job was removed from Redis', async () => {
    pipeline = await fx.start();
    const first = await pipeline.producer.enqueue(sampleEmail({ idempotencyKey: 'invoice-1042-email' }));
    await pipeline.waitForEnd(first.jobId);
    await pipeline.queue.remove(first.jobId);

    const again = await pipeline.producer.enqueue(sampleEmail({ idempotencyKey: 'invoice-1042-email' }));
    expect(await pipeline.waitForEnd(again.jobId)).toMatchObject({ state: 'completed', result: { status: 'already-sent' } });
    expect(fx.simulator.sent).toHaveLength(1);
  });

  it('a job from another producer with a random id but the same key completes as a duplicate', async () => {
    pipeline = await fx.start();
    const first = await pipeline.producer.enqueue(sampleEmail({ idempotencyKey: 'k-1' }));
    await pipeline.waitForEnd(first.jobId);
    const raw = await pipeline.queue.add(SEND_EMAIL_JOB_NAME, {
      ...sampleEmail({ idempotencyKey: 'k-1' }),
      schemaVersion: EMAIL_JOB_SCHEMA_VERSION,
    });
    expect(await pipeline.waitForEnd(raw.id!)).toMatchObject({
      state: 'completed',
      result: { status: 'duplicate', duplicateOfJobId: first.jobId },
    });
    expect(fx.simulator.sent).toHaveLength(1);
  });

  it('derives the job id from account and key, so keys of different accounts never collide', () => {
    expect(idempotentJobId('acc-1', 'k')).toBe(idempotentJobId('acc-1', 'k'));
    expect(idempotentJobId('acc-1', 'k')).not.toBe(idempotentJobId('acc-2', 'k'));
    expect(idempotentJobId('acc-1', 'k')).toMatch(/^email-[0-9a-f]{40}$/);
  });
});

describe('jobs written by any BullMQ client', () => {
  it('sends a job added with the documented name, data and options', async () => {
    pipeline = await fx.start();
    // Another client on the same Redis, with the queue's prefix (a hash tag on a Cluster, see README).
    const otherClient = new Queue(pipeline.queueName, { connection: pipeline.connection, prefix: pipeline.queue.opts.prefix });
    const job = await otherClient.add(
      'send-email',
      { schemaVersion: 1, accountId: 'acc-1', to: [{ address: 'customer@example.com' }], subject: 'From PHP', text: 'Hello' },
      { attempts: 10, backoff: { type: 'graph' } },
    );
    await otherClient.close();
    expect(await pipeline.waitForEnd(job.id!)).toMatchObject({ state: 'completed', result: { status: 'sent' } });
    expect(fx.simulator.sent[0]?.message).toMatchObject({ subject: 'From PHP', body: { contentType: 'Text', content: 'Hello' } });
  });

  it('fails a malformed job at once with the bad fields named, and keeps working', async () => {
    pipeline = await fx.start();
    const bad = await pipeline.queue.add('send-email', {
      schemaVersion: 1,
      accountId: 'acc-1',
      to: 'customer@example.com',
      subject: 7,
      extra: true,
    } as never);
    const good = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(bad.id!);
    expect(end).toMatchObject({ state: 'failed', job: { attemptsMade: 1 } });
    expect(end.state === 'failed' && end.reason).toMatch(/^\[invalid-payload\] Invalid e-mail job: .*to: .*subject: .*extra/);
    expect(await pipeline.waitForEnd(good.jobId)).toMatchObject({ state: 'completed' });
  });

  it('waits for sendAt when the producer did not delay the job', async () => {
    pipeline = await fx.start();
    const sendAt = Date.now() + 2000;
    const job = await pipeline.queue.add(
      'send-email',
      { ...sampleEmail({ sendAt: new Date(sendAt).toISOString() }), schemaVersion: 1 },
      { attempts: 3 },
    );
    expect(await pipeline.waitForEnd(job.id!)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent[0]!.receivedAt).toBeGreaterThanOrEqual(sendAt);
  });

  it('never sends early, not even when sendAt is less than a second away', async () => {
    pipeline = await fx.start();
    const sendAt = Date.now() + 600;
    const job = await pipeline.queue.add('send-email', { ...sampleEmail({ sendAt: new Date(sendAt).toISOString() }), schemaVersion: 1 });
    expect(await pipeline.waitForEnd(job.id!)).toMatchObject({ state: 'completed', result: { status: 'sent' } });
    expect(fx.simulator.sent).toHaveLength(1);
    expect(fx.simulator.sent[0]!.receivedAt).toBeGreaterThanOrEqual(sendAt);
    expect((await pipeline.deliveries.find({ jobId: job.id! }))[0]).toMatchObject({ status: 'sent', attempts: 1 });
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight send before closing, and takes no new jobs', async () => {
    pipeline = await fx.start({ env: { WORKER_CONCURRENCY: '1' } });
    fx.simulator.setLatencyMs(1000);
    const active = new Promise((resolve) => pipeline.runtime.worker.once('active', resolve));
    const inFlight = await pipeline.producer.enqueue(sampleEmail({ subject: 'in flight' }));
    await active;
    const waiting = await pipeline.producer.enqueue(sampleEmail({ subject: 'waiting' }));

    await pipeline.runtime.close(10_000);

    expect(await pipeline.queue.getJobState(inFlight.jobId)).toBe('completed');
    expect(await pipeline.queue.getJobState(waiting.jobId)).toBe('waiting');
    expect(fx.simulator.sent.map((m) => (m.message as { subject: string }).subject)).toEqual(['in flight']);
    expect((await pipeline.deliveries.find({ jobId: inFlight.jobId }))[0]?.status).toBe('sent');
  });

  it('stops waiting for an in-flight send after SHUTDOWN_TIMEOUT_MS, leaving it to be taken over as stalled', async () => {
    pipeline = await fx.start({ env: { WORKER_CONCURRENCY: '1', SHUTDOWN_TIMEOUT_MS: '300' } });
    // The send outlasts the deadline many times over: only the deadline can end close() before Graph answers.
    fx.simulator.setLatencyMs(4000);
    const active = new Promise((resolve) => pipeline.runtime.worker.once('active', resolve));
    const inFlight = await pipeline.producer.enqueue(sampleEmail({ subject: 'slow' }));
    await active;

    await pipeline.runtime.close();

    expect(await pipeline.queue.getJobState(inFlight.jobId)).toBe('active');
    expect((await pipeline.deliveries.find({ jobId: inFlight.jobId }))[0]?.status).toBe('sending');
    expect(pipeline.logs()).toContain('in-flight sends did not finish before the shutdown deadline');
    expect(pipeline.logs()).toContain('"timeoutMs":300');
    // In this process the send goes on (the entry point exits instead): let it end before the fixture cleans up.
    await pipeline.runtime.worker.close();
  });
});
