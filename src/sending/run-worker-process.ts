// The e-mail worker as a process: config, logger, stores, the worker and its ops server, signals. Entry
// points (workers/email-worker.ts, the chaos run's worker) call it and differ only in where the stores come from.
import type { Logger } from 'pino';
import { loadConfigOrExit, type Config } from '../../config/load-config';
import { startCredentialExpiryChecks } from '../diagnostics/expiry-monitor';
import { createLogger } from '../logging/logger';
import { createWorkerOps } from '../ops/worker-ops';
import { createRedisConnection, describeRedisTarget, type DeliveryStore, type PayloadStore } from '@omikai/graph-mailer-client';
import type { GraphAccountLister, SettingsStore } from '../settings/settings-store';
import { startEmailWorker } from './start-email-worker';
import { StoreHealth } from './store-guard';

/** What the worker reads and writes besides Redis; `close` ends their connections at shutdown. */
export interface WorkerStores {
  settings: SettingsStore & GraphAccountLister;
  deliveries: DeliveryStore;
  payloads?: PayloadStore;
  close(): Promise<void>;
}

export interface WorkerProcessOptions {
  /** The logger's name. */
  name: string;
  openStores(config: Config, logger: Logger): Promise<WorkerStores>;
}

/**
 * Starts the worker and stops it on SIGTERM/SIGINT (exit 0), exit 78 on bad configuration, exit 1 when
 * it cannot start. Started with an IPC channel (a harness's child), it sends `{ type: 'ready' }` once
 * every shard's worker is connected, and stops when the channel closes, so it never runs on as an orphan.
 */
export function runWorkerProcess(options: WorkerProcessOptions): void {
  startWorkerProcess(options).catch((err: unknown) => {
    process.stderr.write(`e-mail worker failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

async function startWorkerProcess({ name, openStores }: WorkerProcessOptions): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, name });
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
    ...(stores.payloads ? { payloads: stores.payloads } : {}),
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
  if (process.send) {
    process.once('disconnect', () => void stop('disconnect'));
    await Promise.all(runtime.workers.map((worker) => worker.waitUntilReady()));
    if (process.connected) process.send({ type: 'ready' });
  }
}
