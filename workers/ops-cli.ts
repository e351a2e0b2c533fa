#!/usr/bin/env node
// Entry point of the on-call CLI (`npm run ops -- …`, or the omikai-ops bin): opens what the command needs, exits with its code.
import type { Queue } from 'bullmq';
import { shardedQueueView, type CliQueue } from '../src/ops/cli/sharded-queue';
import type { Logger } from 'pino';
import { loadStoreOptionalConfig, requireStore, type StoreOptionalConfig } from '../config/load-config';
import { configuredQueueLayout, openShardQueues, createRedisConnection, type RedisClient } from '@omikai/graph-mailer-client';
import { createLogger } from '../src/logging/logger';
import { loggerAuditLog } from '../src/ops/audit-log';
import { runOpsCli } from '../src/ops/cli/ops-cli';
import { GraphDraftClient } from '../src/graph/draft-client';
import { MsalTokenProvider } from '../src/graph/token-provider';
import { resolveSender } from '../src/settings/resolve-sender';
import { openStores, type Stores } from '../src/storage/open-stores';

async function main(): Promise<number> {
  // Everything is opened on first use: help needs no configuration, `queue`, `failed` and `flow` need only Redis.
  let config: StoreOptionalConfig | undefined;
  let logger: Logger | undefined;
  // Audit lines are written whatever LOG_LEVEL says: who cancelled or retried what must not depend on it.
  const audit = loggerAuditLog(createLogger({ level: 'info', name: 'ops-audit' }, process.stderr));
  let connection: RedisClient | undefined;
  let queues: Queue[] | undefined;
  let queue: CliQueue | undefined;
  let stores: Promise<Stores> | undefined;
  const configured = () => (config ??= loadStoreOptionalConfig());
  const openStoresOnce = () => {
    const current = configured();
    const store = requireStore(current);
    // Logs go to stderr: stdout carries the results (and the JSON of --json).
    logger ??= createLogger({ level: current.logLevel === 'info' ? 'warn' : current.logLevel, name: 'ops-cli' }, process.stderr);
    return (stores ??= openStores({ ...current, store }, logger));
  };
  const connect = (): RedisClient => {
    const { redis } = configured();
    if (!connection) {
      // A few quick reconnects, then give up: an on-call engineer needs "Redis is down", not a hang.
      connection = createRedisConnection(redis.target, 'cli');
      let lastError = '';
      connection.on('error', (err: Error) => (lastError = err.message));
      connection.on('ready', () => (lastError = ''));
      connection.on('end', () => {
        if (lastError)
          process.stderr.write(
            `Cannot reach Redis (${lastError}); check REDIS_URL (or REDIS_SENTINELS, REDIS_CLUSTER_NODES) and that Redis is running.\n`,
          );
      });
    }
    return connection;
  };
  try {
    return await runOpsCli(process.argv.slice(2), {
      queue: () => {
        if (!queue) {
          queues = openShardQueues(configuredQueueLayout(configured()), connect());
          for (const each of queues) each.on('error', () => {}); // reported once by the connection's 'end' handler above
          queue = shardedQueueView(queues, configured().queueName);
        }
        return queue;
      },
      deliveries: async () => (await openStoresOnce()).deliveries,
      payloads: async () => (await openStoresOnce()).payloads,
      settingsSecrets: async () => ({
        rewriter: (await openStoresOnce()).settings,
        keyring: configured().credentials.keyring,
      }),
      flow: () => ({ limits: configured().flow.limits, redis: connect }),
      drafts: async () => {
        const { settings } = await openStoresOnce();
        const current = configured();
        const tokens = new MsalTokenProvider({ cloud: current.cloud, logger: logger!, timeoutMs: current.worker.sendTimeoutMs });
        const graph = new GraphDraftClient({
          graphBaseUrl: current.cloud.graphBaseUrl,
          cloud: current.cloud.cloud,
          timeoutMs: current.worker.sendTimeoutMs,
        });
        return {
          graph,
          sweepAgeMs: current.drafts.sweepAgeMs,
          routeFor: async (accountId: string, mailbox?: string) => {
            const account = await settings.findAccount(accountId);
            const route = resolveSender({ accountId, account, user: null, graphProviderValue: current.settings.shape.graphProviderValue });
            const { accessToken } = await tokens.getAccessToken(route.credentials);
            return { route: mailbox ? { ...route, sender: mailbox } : route, accessToken };
          },
        };
      },
      io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
      audit,
    });
  } finally {
    await Promise.all((queues ?? []).map((each) => each.close()));
    await connection?.quit().catch(() => undefined);
    await (await stores?.catch(() => undefined))?.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ops failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
