// Entry point of the e-mail worker process: reads config, wires the pieces, handles signals.
import { loadConfigOrExit } from '../config/load-config';
import { startCredentialExpiryChecks } from '../src/diagnostics/expiry-monitor';
import { createLogger } from '../src/logging/logger';
import { createWorkerOps } from '../src/ops/worker-ops';
import { createRedisConnection, describeRedisTarget } from '@omikai/graph-mailer-client';
import { startEmailWorker } from '../src/sending/start-email-worker';
import { StoreHealth } from '../src/sending/store-guard';
import { openStores } from '../src/storage/open-stores';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, name: 'email-worker' });
  for (const deprecation of config.ops.deprecations) logger.warn(deprecation);
  const stores = await openStores(config, logger);
  // BullMQ workers need maxRetriesPerRequest: null so a Redis blip pauses them instead of failing jobs.
  const connection = createRedisConnection(config.redis.target, 'worker');
  connection.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const storeHealth = new StoreHealth();
  const ops = createWorkerOps({ config, connection, deliveries: stores.deliveries, storeHealth, logger });
  const opsServer = await ops.serve();
  const runtime = startEmailWorker({
    config,
    connection,
    settings: stores.settings,
    deliveries: stores.deliveries,
    payloads: stores.payloads,
    logger,
    observer: ops.observer,
    storeHealth,
  });
  const expiry = startCredentialExpiryChecks({
    settings: stores.settings,
    logger,
    warningDays: config.credentials.expiryWarningDays,
    intervalMs: config.credentials.expiryCheckIntervalMs,
  });
  let stopping = false;
  ops.attach({ tokenRequests: () => runtime.tokens.tokenRequests, isRunning: () => !stopping, credentialDaysLeft: expiry.daysLeft });
  logger.info(
    {
      queue: config.queueName,
      shards: config.redis.shards,
      redis: describeRedisTarget(config.redis.target),
      concurrency: config.worker.concurrency,
      cloud: config.cloud.cloud,
      graph: config.cloud.graphBaseUrl,
      ops: opsServer?.url,
      // The port bound (the OS's pick with WORKER_METRICS_PORT=auto): tools that start workers read it here.
      metricsPort: opsServer?.port,
    },
    'e-mail worker started',
  );

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: taking no new jobs, finishing in-flight sends');
    expiry.stop();
    await runtime.close();
    await ops.close();
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
