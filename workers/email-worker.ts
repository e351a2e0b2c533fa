// Entry point of the e-mail worker process: reads config, wires the pieces, handles signals.
import { Redis } from 'ioredis';
import { loadConfigOrExit } from '../config/load-config';
import { createLogger } from '../src/logging/logger';
import { startEmailWorker } from '../src/sending/start-email-worker';
import { openStores } from '../src/storage/open-stores';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, name: 'email-worker' });
  const stores = await openStores(config, logger);
  // BullMQ workers need maxRetriesPerRequest: null so a Redis blip pauses them instead of failing jobs.
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const runtime = startEmailWorker({ config, connection, settings: stores.settings, deliveries: stores.deliveries, logger });
  logger.info(
    { queue: config.queueName, concurrency: config.worker.concurrency, cloud: config.cloud.cloud, graph: config.cloud.graphBaseUrl },
    'e-mail worker started',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: taking no new jobs, finishing in-flight sends');
    await runtime.close();
    await stores.close();
    await connection.quit();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`e-mail worker failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
