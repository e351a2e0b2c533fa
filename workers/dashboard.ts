// Entry point of the dashboard process (Bull Board behind Basic auth): reads config, wires the pieces, handles signals.
import { loadConfigOrExit } from '../config/load-config';
import { DashboardSetupError } from '../src/dashboard/dashboard-app';
import { startDashboard } from '../src/dashboard/start-dashboard';
import { createLogger } from '../src/logging/logger';
import { createRedisConnection } from '@omikai/graph-mailer-client';
import { openStores } from '../src/storage/open-stores';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, name: 'dashboard' });
  for (const deprecation of config.ops.deprecations) logger.warn(deprecation);
  const stores = await openStores(config, logger);
  // Unlike the worker's, this connection fails commands after a retry, so the board answers instead of hanging.
  const connection = createRedisConnection(config.redis.target, 'dashboard');
  connection.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const dashboard = await startDashboard({ config, connection, deliveries: stores.deliveries, payloads: stores.payloads, logger });
  logger.info(
    {
      url: dashboard.url,
      ops: dashboard.opsUrl,
      // The ports bound (the OS's picks with DASHBOARD_PORT / DASHBOARD_METRICS_PORT=auto): tools that start dashboards read them here.
      port: dashboard.port,
      metricsPort: dashboard.opsPort,
      queue: config.queueName,
      users: config.ops.dashboard.users.length,
    },
    'dashboard started',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await dashboard.close();
    await stores.close();
    await connection.quit();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  // A setup problem is the operator's to fix and needs no stack trace; exit 78 like a config error.
  if (err instanceof DashboardSetupError) {
    process.stderr.write(`dashboard not started: ${err.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`dashboard failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
