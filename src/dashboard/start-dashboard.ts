// Runs the dashboard process's servers: the authenticated board, and /healthz, /readyz, /metrics.
import { type PayloadWriter, configuredQueueLayout, openShardQueues, type RedisClient } from '@omikai/graph-mailer-client';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../../config/load-config';
import type { CancelDeliveries } from '../ops/cancel-email-jobs';
import { startOpsHttpServer, type OpsHttpServer } from '../ops/ops-http-server';
import { registerQueueMetrics } from '../ops/queue-metrics';
import { deliveryStoreReadiness, redisReadiness } from '../ops/readiness';
import { assertDashboardUsers, createDashboardApp, DashboardSetupError } from './dashboard-app';

export interface StartDashboardOptions {
  config: Pick<Config, 'queueName' | 'ops'> & { redis: Pick<Config['redis'], 'shards' | 'target'> };
  /** A connection of the dashboard's own; quitting it is the caller's job. */
  connection: RedisClient;
  deliveries: CancelDeliveries;
  /** Where a cancelled e-mail's content is removed. */
  payloads?: Pick<PayloadWriter, 'remove'>;
  logger: Logger;
  /** Overrides config.ops.dashboard.port (0 picks a free port, as DASHBOARD_PORT=auto does). */
  port?: number;
  processMetrics?: boolean;
}

export interface RunningDashboard {
  url: string;
  /** The board's port as bound (the OS's pick with DASHBOARD_PORT=auto). */
  port: number;
  /** undefined when DASHBOARD_METRICS_PORT=0. */
  opsUrl: string | undefined;
  /** The port /healthz, /readyz, /metrics bound; undefined when DASHBOARD_METRICS_PORT=0. */
  opsPort: number | undefined;
  /** The first shard's queue (the only one when not sharded). */
  queue: Queue;
  queues: Queue[];
  close(): Promise<void>;
}

export async function startDashboard({
  config,
  connection,
  deliveries,
  payloads,
  logger,
  port = config.ops.dashboard.port,
  processMetrics = true,
}: StartDashboardOptions): Promise<RunningDashboard> {
  const { users, basePath, metricsPort, trustProxy } = config.ops.dashboard;
  assertDashboardUsers(users);
  const plainUsers = users.filter((user) => user.secret.kind === 'plain').map((user) => user.name);
  if (plainUsers.length > 0) {
    logger.warn(
      { users: plainUsers },
      'DASHBOARD_USERS holds plain-text passwords (DASHBOARD_ALLOW_PLAINTEXT_PASSWORDS=true): for demos only; store scrypt hashes (npm run ops -- hash-password)',
    );
  }
  const costs = new Set(users.flatMap(({ secret }) => (secret.kind === 'scrypt' ? [`N=${secret.N} r=${secret.r} p=${secret.p}`] : [])));
  if (costs.size > 1) {
    logger.warn(
      { costs: [...costs] },
      'DASHBOARD_USERS hashes use different scrypt costs, so sign-in time tells some user names apart; make them all with npm run ops -- hash-password',
    );
  }
  const queues = openShardQueues(configuredQueueLayout(config), connection);
  const queue = queues[0]!;
  // The entry point's connection listener logs Redis trouble; unheard, BullMQ would print every error.
  for (const each of queues) each.on('error', () => {});
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  registerQueueMetrics(registry, { queue: queues, logger });
  const loginFailures = new Counter({
    name: 'omikai_dashboard_login_failures_total',
    help: 'Dashboard requests refused at sign-in, by reason: missing or wrong credentials (401), limited (429), busy (503).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const app = createDashboardApp({
    queues,
    shards: { name: config.queueName, connection },
    users,
    basePath,
    deliveries,
    ...(payloads ? { payloads } : {}),
    logger,
    trustProxy,
    onLoginFailure: (reason) => loginFailures.inc({ reason }),
  });

  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new DashboardSetupError(
          `Could not listen on port ${port} (${err.message}); set DASHBOARD_PORT to a free port, or to auto for a port the OS picks.`,
          { cause: err },
        ),
      ),
    );
    server.listen(port, config.ops.dashboard.host, () => resolve());
  });
  let ops: OpsHttpServer | undefined;
  if (metricsPort !== undefined) {
    ops = await startOpsHttpServer({
      host: config.ops.dashboard.metricsHost,
      port: metricsPort,
      portVariable: 'DASHBOARD_METRICS_PORT',
      registry,
      logger,
      readiness: [redisReadiness(connection), deliveryStoreReadiness(deliveries)],
    });
  }
  const address = server.address() as AddressInfo;
  const host = config.ops.dashboard.host === '0.0.0.0' || config.ops.dashboard.host === '::' ? '127.0.0.1' : config.ops.dashboard.host;
  return {
    url: `http://${host}:${address.port}${basePath === '/' ? '/' : `${basePath}/`}`,
    port: address.port,
    opsUrl: ops?.url,
    opsPort: ops?.port,
    queue,
    queues,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await ops?.close();
      await Promise.all(queues.map((each) => each.close()));
    },
  };
}
