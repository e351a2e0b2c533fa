// MongoDB outages degrade, not destroy: jobs wait without using attempts, nothing is sent twice,
// and no delivery record is lost.
import { sampleEmail, type TestPipeline, usePipelineFixture } from '../support/test-pipeline';
import { until } from '../../tools/until';

const fx = usePipelineFixture();
let pipeline: TestPipeline;

describe('a delivery store outage', () => {
  it('makes jobs wait without using attempts, then they are sent once when it is back', async () => {
    pipeline = await fx.start();
    pipeline.flakyDeliveries.down = true;
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    await until(() => pipeline.flakyDeliveries.failedCalls >= 2);
    expect(fx.simulator.sent).toHaveLength(0);
    pipeline.flakyDeliveries.down = false;

    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', result: { status: 'sent' }, job: { attemptsMade: 1 } });
    expect(fx.simulator.sent).toHaveLength(1);
    expect((await pipeline.deliveries.find({ jobId }))[0]).toMatchObject({ status: 'sent', possibleDuplicate: false });
  });

  it('after Graph accepted, keeps the e-mail sent and writes the record later instead of sending again', async () => {
    pipeline = await fx.start();
    pipeline.flakyDeliveries.failSentOutcomes = 2;
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());

    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', result: { status: 'sent' } });
    expect(fx.simulator.sent).toHaveLength(1);
    expect((await pipeline.deliveries.find({ jobId }))[0]).toMatchObject({
      status: 'sent',
      graphRequestId: fx.simulator.sent[0]?.requestId,
    });
  });
});

describe('a settings store outage', () => {
  it('makes jobs wait instead of failing them', async () => {
    pipeline = await fx.start();
    pipeline.flakySettings.down = true;
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    await until(() => pipeline.flakySettings.failedCalls >= 2);
    pipeline.flakySettings.down = false;
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', job: { attemptsMade: 1 } });
    expect(fx.simulator.sent).toHaveLength(1);
  });
});
