// `ops retry` with the real worker and the Graph simulator: a retried e-mail is sent, and only once.
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { PIPELINE_TENANTS, sampleEmail } from '../support/test-pipeline';
import { openObservedPipelines, startObservedPipeline, type ObservedPipeline } from './support/observed-pipeline';
import { runCli } from './support/run-cli';

let simulator: GraphSimulator;
let pipeline: ObservedPipeline | undefined;

beforeAll(async () => {
  simulator = await startGraphSimulator({ tenants: PIPELINE_TENANTS });
});
afterAll(() => simulator.close());
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
  expect(openObservedPipelines()).toBe(0);
});

it('an e-mail that gave up is sent after `ops retry`, and retrying it again sends nothing', async () => {
  pipeline = await startObservedPipeline({ simulator, attempts: 1 });
  const { producer, deliveries } = pipeline;
  simulator.inject({ on: 'sendMail', kind: 'status', status: 503 });
  const { jobId } = await producer.enqueue(sampleEmail());
  expect(await pipeline.waitForEnd(jobId)).toBe('failed');
  expect(simulator.sent).toHaveLength(0);

  const retry = await runCli(['retry', jobId], { queue: producer.queue, deliveries });
  expect(retry.stdout).toContain(`job ${jobId}: [transient] retried`);
  expect(await pipeline.waitForEnd(jobId)).toBe('completed');
  expect(simulator.sent).toHaveLength(1);
  expect((await deliveries.find({ jobId }))[0]).toMatchObject({ status: 'sent', attempts: 2, possibleDuplicate: false });

  const again = await runCli(['retry', jobId, '--force'], { queue: producer.queue, deliveries });
  expect(again.code).toBe(1);
  expect(again.stdout).toContain('not retried: it completed');
  expect(simulator.sent).toHaveLength(1);
});
