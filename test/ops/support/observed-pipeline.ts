// The real worker pipeline (test/support/test-pipeline.ts) with a SendObserver plugged in and the
// attempts per job chosen by the test, for metrics, CLI and browser tests.
import type { RedisClient as Redis, EmailProducer } from '@omikai/graph-mailer-client';
import type { EmailWorkerRuntime } from '../../../src/sending/start-email-worker';
import type { MemoryDeliveryStore } from '../../../src/delivery/memory-delivery-store';
import type { SendObserver } from '../../../src/sending/send-email-job';
import type { SettingsDocuments } from '../../../src/settings/memory-settings-store';
import type { GraphSimulator } from '../../../tools/graph-simulator/graph-simulator';
import { startTestPipeline } from '../../support/test-pipeline';

export interface ObservedPipeline {
  runtime: EmailWorkerRuntime;
  connection: Redis;
  producer: EmailProducer;
  deliveries: MemoryDeliveryStore;
  /** Resolves with the job's final state once it completed or failed for good. */
  waitForEnd(jobId: string, timeoutMs?: number): Promise<'completed' | 'failed'>;
  close(): Promise<void>;
}

let open = 0;
export const openObservedPipelines = () => open;

export async function startObservedPipeline(options: {
  simulator: GraphSimulator;
  observer?: SendObserver;
  attempts?: number;
  env?: Record<string, string>;
  documents?: SettingsDocuments;
}): Promise<ObservedPipeline> {
  const pipeline = await startTestPipeline({ ...options, attempts: options.attempts ?? 3 });
  open += 1;
  let closed = false;
  return {
    runtime: pipeline.runtime,
    connection: pipeline.connection,
    producer: pipeline.producer,
    deliveries: pipeline.deliveries,
    waitForEnd: async (jobId, timeoutMs) => (await pipeline.waitForEnd(jobId, timeoutMs)).state,
    async close() {
      if (closed) return;
      closed = true;
      await pipeline.close();
      open -= 1;
    },
  };
}
