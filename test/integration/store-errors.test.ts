// A store error that waiting does not fix fails the job once as [store], saying what to fix, and /readyz shows it;
// an outage the driver signals (NotWritablePrimary, a RetryableWriteError label) still makes jobs wait.
import mongoose from 'mongoose';
import { runReadinessChecks, storeErrorsReadiness } from '../../src/ops/readiness';
import { sampleEmail, type TestPipeline, usePipelineFixture } from '../support/test-pipeline';
import { until } from '../../tools/until';

const { MongoServerError } = mongoose.mongo;
const fx = usePipelineFixture();
let pipeline: TestPipeline;

const validationFailure = () =>
  new MongoServerError({ code: 121, codeName: 'DocumentValidationFailure', errmsg: 'Document failed validation' });

describe('a permanent store error', () => {
  it('fails the job after one attempt as [store] with the fix, sends nothing, and /readyz shows it until the store answers', async () => {
    pipeline = await fx.start();
    pipeline.flakyDeliveries.refuseWith = validationFailure();
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());

    const end = await pipeline.waitForEnd(jobId);
    expect(end).toMatchObject({ state: 'failed', job: { attemptsMade: 1 } });
    const reason = end.state === 'failed' ? end.reason : '';
    expect(reason).toMatch(
      /^\[store\] MongoDB refused writing the delivery record: MongoDB answered DocumentValidationFailure \(code 121\)/,
    );
    expect(reason).toMatch(/Fix: a validator on the collection refused .*relax or remove it/);
    expect(fx.simulator.sent).toHaveLength(0);

    const report = await runReadinessChecks([storeErrorsReadiness(pipeline.storeHealth)]);
    expect(report.ready).toBe(false);
    // /readyz answers "failed"; the reason, with what MongoDB said, is for the log.
    expect(report.checks.storeErrors).toBe('failed');
    expect(report.problems.storeErrors).toMatch(/deliveries since .*\[store\] MongoDB refused writing the delivery record/);

    pipeline.flakyDeliveries.refuseWith = undefined;
    const next = await pipeline.producer.enqueue(sampleEmail({ subject: 'after the fix' }));
    expect(await pipeline.waitForEnd(next.jobId)).toMatchObject({ state: 'completed' });
    expect(await runReadinessChecks([storeErrorsReadiness(pipeline.storeHealth)])).toEqual({
      ready: true,
      checks: { storeErrors: 'ok' },
      problems: {},
    });
  });

  it('on the settings store (Unauthorized) names the missing privilege', async () => {
    pipeline = await fx.start();
    pipeline.flakySettings.refuseWith = new MongoServerError({
      code: 13,
      codeName: 'Unauthorized',
      errmsg: 'not authorized on erp to execute command { find: "accounts" }',
    });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());

    const end = await pipeline.waitForEnd(jobId);
    expect(end).toMatchObject({ state: 'failed', job: { attemptsMade: 1 } });
    expect(end.state === 'failed' ? end.reason : '').toMatch(
      /^\[store\] MongoDB refused reading the ERP's e-mail settings: .*Unauthorized .*grant it the readWrite role/,
    );
  });

  it('after Graph accepted, fails the job without sending again, and the retry only writes the record', async () => {
    pipeline = await fx.start();
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    pipeline.flakyDeliveries.failSentOutcomes = 0;
    // Only the sent outcome is refused: the record was started, Graph accepted, then the write fails.
    const original = pipeline.flakyDeliveries.inner.finishAttempt.bind(pipeline.flakyDeliveries.inner);
    pipeline.flakyDeliveries.inner.finishAttempt = async (id, outcome) => {
      if (outcome.status === 'sent' && pipeline.flakyDeliveries.refuseWith === undefined && fx.simulator.sent.length === 1 && !retried) {
        throw validationFailure();
      }
      return original(id, outcome);
    };
    let retried = false;

    const end = await pipeline.waitForEnd(jobId);
    expect(end.state === 'failed' ? end.reason : '').toMatch(/^\[store\] The e-mail was sent; a retry only writes its delivery record\./);
    expect(fx.simulator.sent).toHaveLength(1);

    retried = true;
    await end.job.retry('failed');
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', result: { status: 'sent' } });
    expect(fx.simulator.sent).toHaveLength(1);
    expect((await pipeline.deliveries.find({ jobId }))[0]).toMatchObject({
      status: 'sent',
      graphRequestId: fx.simulator.sent[0]?.requestId,
    });
  });
});

describe('an outage the driver signals', () => {
  it.each([
    ['NotWritablePrimary', () => new MongoServerError({ code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not primary' })],
    ['a RetryableWriteError label', () => new MongoServerError({ code: 999, errmsg: 'blip', errorLabels: ['RetryableWriteError'] })],
    ['a network error', () => new mongoose.mongo.MongoNetworkError('connection 3 to 127.0.0.1:27017 closed')],
  ])('(%s) makes the job wait without using an attempt', async (_what, makeError) => {
    pipeline = await fx.start();
    pipeline.flakyDeliveries.refuseWith = makeError();
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    await until(() => pipeline.flakyDeliveries.failedCalls >= 2);
    expect(pipeline.storeHealth.current()).toEqual([]);
    pipeline.flakyDeliveries.refuseWith = undefined;

    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', job: { attemptsMade: 1 } });
    expect(fx.simulator.sent).toHaveLength(1);
  });
});
