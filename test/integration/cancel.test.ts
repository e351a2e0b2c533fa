// A cancelled e-mail is never sent afterwards: not by the attempt that was under way when it was
// cancelled, not by a later retry. The real worker, real Redis, the Graph simulator.
import { cancelEmailJob } from '../../src/ops/cancel-email-jobs';
import { sampleEmail, type TestPipeline, usePipelineFixture } from '../support/test-pipeline';
import { until } from '../../tools/until';

const fx = usePipelineFixture();
let pipeline: TestPipeline;

const options = { dryRun: false, by: 'olga', now: Date.now };
const recordOf = async (jobId: string) => (await pipeline.deliveries.find({ jobId }))[0];

describe('cancel while a worker holds the job', () => {
  it('before the send (waiting for a token): the cancel says so, and the worker then does not send', async () => {
    pipeline = await fx.start();
    fx.simulator.inject({ on: 'token', kind: 'stall', ms: 1500 });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    await until(async () => (await pipeline.queue.getJobState(jobId)) === 'active');

    const result = await cancelEmailJob(pipeline.queue, pipeline.deliveries, jobId, options);

    expect(result).toMatchObject({
      outcome: 'cancelled-while-active',
      state: 'active',
      message: expect.stringContaining('may still go out'),
    });
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', result: { status: 'cancelled' } });
    expect(fx.simulator.sent).toHaveLength(0);
    expect(await recordOf(jobId)).toMatchObject({ status: 'cancelled', attempts: 0, cancelledBy: 'olga' });
    // Run again once the job has finished, the cancel removes it (and its content).
    expect(await cancelEmailJob(pipeline.queue, pipeline.deliveries, jobId, options)).toMatchObject({ outcome: 'cancelled' });
    expect(await pipeline.queue.getJob(jobId)).toBeUndefined();
  });

  it('while Graph has the e-mail: the cancel warns it may go out, and the record then says sent', async () => {
    pipeline = await fx.start();
    fx.simulator.inject({ on: 'sendMail', kind: 'stall', ms: 1500 });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    await until(async () => (await recordOf(jobId))?.status === 'sending');

    const result = await cancelEmailJob(pipeline.queue, pipeline.deliveries, jobId, options);

    expect(result).toMatchObject({
      outcome: 'cancelled-while-active',
      message: expect.stringContaining(`ops delivery find --job ${jobId}`),
    });
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', result: { status: 'sent' } });
    expect(fx.simulator.sent).toHaveLength(1);
    expect(await recordOf(jobId)).toMatchObject({ status: 'sent', cancelledBy: 'olga' });
  });
});

describe('a cancelled record', () => {
  it('is not sent by a retry of its failed job (the dashboard retries without asking the record)', async () => {
    pipeline = await fx.start({ attempts: 1 });
    fx.simulator.inject({ on: 'sendMail', kind: 'status', status: 503 });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'failed' });
    // As when the cancel came while the attempt was under way: the record says cancelled, the job stayed.
    await pipeline.deliveries.cancel({ jobId, accountId: 'acc-1', recipientCount: 1, by: 'olga', now: new Date() });

    const job = await pipeline.queue.getJob(jobId);
    await job!.retry('failed');

    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', result: { status: 'cancelled' } });
    expect(fx.simulator.sent).toHaveLength(0);
    expect(fx.simulator.stats.sendMailRequests).toBe(1);
  });

  it('stops a job that waits for its sendAt', async () => {
    pipeline = await fx.start();
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const { jobId } = await pipeline.producer.enqueue(sampleEmail({ sendAt }));
    await pipeline.deliveries.cancel({ jobId, accountId: 'acc-1', recipientCount: 1, by: 'olga', now: new Date() });
    // A job written by another producer has sendAt without BullMQ's delay: the worker takes it at once.
    await (await pipeline.queue.getJob(jobId))!.promote();

    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', result: { status: 'cancelled' } });
    expect(fx.simulator.stats.sendMailRequests).toBe(0);
  });
});
