// Entry point of a chaos-run worker process: the real pipeline composed as workers/email-worker.ts does,
// with the settings and delivery stores served by the harness over HTTP (`--store-url`).
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../../config/load-config';
import { createLogger } from '../../src/logging/logger';
import { createRedisConnection } from '@omikai/graph-mailer-client';
import { startEmailWorker } from '../../src/sending/start-email-worker';
import { RemoteStores } from './remote-stores';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const storeUrl = parseArgs({ options: { 'store-url': { type: 'string' } } }).values['store-url'];
  if (!storeUrl) {
    process.stderr.write('--store-url is missing: this worker is started by bench/chaos (npm run chaos).\n');
    process.exit(78);
  }
  const logger = createLogger({ level: config.logLevel, name: 'chaos-worker' });
  const stores = new RemoteStores({ url: storeUrl });
  // BullMQ workers need maxRetriesPerRequest: null so a Redis blip pauses them instead of failing jobs.
  const connection = createRedisConnection(config.redis.target, 'worker');
  connection.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const runtime = startEmailWorker({ config, connection, settings: stores, deliveries: stores, logger });
  await Promise.all(runtime.workers.map((worker) => worker.waitUntilReady()));
  logger.info({ queue: config.queueName, concurrency: config.worker.concurrency }, 'chaos worker started');
  process.send?.({ type: 'ready' });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: taking no new jobs, finishing in-flight sends');
    await runtime.close();
    await connection.quit();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // The harness is gone (it crashed or was killed): do not run on as an orphan.
  process.once('disconnect', () => void stop('disconnect'));
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos worker failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
