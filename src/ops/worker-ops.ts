// The worker process's metrics and /healthz, /readyz, /metrics server, wired around startEmailWorker.
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../../config/load-config';
import { type DeliveryStore, configuredQueueLayout, openShardQueues, type RedisClient } from '@omikai/graph-mailer-client';
import type { SendObserver } from '../sending/send-email-job';
import { startOpsHttpServer, type OpsHttpServer } from './ops-http-server';
import type { CredentialDaysLeft } from '../diagnostics/expiry-monitor';
import { registerCredentialExpiryMetric } from './credential-metrics';
import { registerQueueMetrics } from './queue-metrics';
import type { StoreHealth } from '../sending/store-guard';
import { conditionReadiness, deliveryStoreReadiness, redisReadiness, storeErrorsReadiness } from './readiness';
import { registerSendMetrics, registerTokenRequestMetric } from './send-metrics';

export interface WorkerOpsOptions {
  config: Pick<Config, 'queueName' | 'ops'> & { redis: Pick<Config['redis'], 'shards' | 'target'> };
  connection: RedisClient;
  deliveries: Pick<DeliveryStore, 'find'>;
  logger: Logger;
  /** The permanent store errors the worker notes; /readyz shows them. */
  storeHealth?: Pick<StoreHealth, 'current'>;
  /** Node.js process metrics (CPU, memory, event loop); off in tests. */
  processMetrics?: boolean;
}

export interface WorkerRuntimeProbe {
  tokenRequests(): number;
  /** False once the worker is shutting down, so /readyz sends traffic elsewhere. */
  isRunning(): boolean;
  /** The latest credential expiry check, for omikai_credential_days_left. */
  credentialDaysLeft?(): CredentialDaysLeft[];
}

export interface WorkerOps {
  registry: Registry;
  /** Pass to startEmailWorker. */
  observer: SendObserver;
  /**
   * Starts the HTTP server (unless WORKER_METRICS_PORT=0) and returns its URL and the port it bound
   * (the OS's pick with WORKER_METRICS_PORT=auto). Call it before the worker starts: a port that is
   * taken then stops the process before any e-mail is picked up.
   */
  serve(): Promise<Pick<OpsHttpServer, 'url' | 'port'> | undefined>;
  /** Connects the running worker: token counts for /metrics, running state for /readyz. */
  attach(probe: WorkerRuntimeProbe): void;
  close(): Promise<void>;
}

export function createWorkerOps({
  config,
  connection,
  deliveries,
  logger,
  storeHealth,
  processMetrics = true,
}: WorkerOpsOptions): WorkerOps {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const { observer } = registerSendMetrics(registry);
  const queues = openShardQueues(configuredQueueLayout(config), connection);
  // The entry point's connection listener logs Redis trouble; unheard, BullMQ would print every error.
  for (const queue of queues) queue.on('error', () => {});
  registerQueueMetrics(registry, { queue: queues, logger });
  let server: OpsHttpServer | undefined;
  let probe: WorkerRuntimeProbe | undefined;

  return {
    registry,
    observer,
    attach(runtimeProbe) {
      if (probe) throw new Error('attach() was called twice');
      probe = runtimeProbe;
      registerTokenRequestMetric(registry, runtimeProbe.tokenRequests);
      if (runtimeProbe.credentialDaysLeft) registerCredentialExpiryMetric(registry, runtimeProbe.credentialDaysLeft);
    },
    async serve() {
      const port = config.ops.worker.metricsPort;
      if (port === undefined) return undefined;
      server = await startOpsHttpServer({
        host: config.ops.worker.metricsHost,
        port,
        portVariable: 'WORKER_METRICS_PORT',
        registry,
        logger,
        readiness: [
          redisReadiness(connection),
          deliveryStoreReadiness(deliveries),
          ...(storeHealth ? [storeErrorsReadiness(storeHealth)] : []),
          conditionReadiness('worker', () => probe?.isRunning() ?? false, 'the worker is starting or shutting down'),
        ],
      });
      return { url: server.url, port: server.port };
    },
    async close() {
      await server?.close();
      await Promise.all(queues.map((queue) => queue.close()));
    },
  };
}
