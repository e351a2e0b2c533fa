// MongoDB outages degrade, not destroy: jobs wait without using attempts, nothing is sent twice,
// and no delivery record is lost.
import { startGraphSimulator, type GraphSimulator } from '../simulator/graph-simulator';
import { PIPELINE_TENANTS, openPipelineCount, sampleEmail, startTestPipeline, type TestPipeline } from '../support/test-pipeline';

let simulator: GraphSimulator;
let pipeline: TestPipeline | undefined;

beforeAll(async () => {
  simulator = await startGraphSimulator({ tenants: PIPELINE_TENANTS });
});
afterAll(() => simulator.close());
beforeEach(() => simulator.reset());
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
  expect(openPipelineCount()).toBe(0);
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a delivery store outage', () => {
  it('makes jobs wait without using attempts, then they are sent once when it is back', async () => {
    pipeline = await startTestPipeline({ simulator });
    pipeline.flakyDeliveries.down = true;
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    await until(() => pipeline!.flakyDeliveries.failedCalls >= 2);
    expect(simulator.sent).toHaveLength(0);
    pipeline.flakyDeliveries.down = false;

    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', result: { status: 'sent' }, job: { attemptsMade: 1 } });
    expect(simulator.sent).toHaveLength(1);
    expect((await pipeline.deliveries.find({ jobId }))[0]).toMatchObject({ status: 'sent', possibleDuplicate: false });
  });

  it('after Graph accepted, keeps the e-mail sent and writes the record later instead of sending again', async () => {
    pipeline = await startTestPipeline({ simulator });
    pipeline.flakyDeliveries.failSentOutcomes = 2;
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());

    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', result: { status: 'sent' } });
    expect(simulator.sent).toHaveLength(1);
    expect((await pipeline.deliveries.find({ jobId }))[0]).toMatchObject({ status: 'sent', graphRequestId: simulator.sent[0]?.requestId });
  });
});

describe('a settings store outage', () => {
  it('makes jobs wait instead of failing them', async () => {
    pipeline = await startTestPipeline({ simulator });
    pipeline.flakySettings.down = true;
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    await until(() => pipeline!.flakySettings.failedCalls >= 2);
    pipeline.flakySettings.down = false;
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', job: { attemptsMade: 1 } });
    expect(simulator.sent).toHaveLength(1);
  });
});
