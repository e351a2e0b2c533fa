#!/usr/bin/env node
// Entry point of the on-call CLI (`npm run ops -- …`, or the omikai-ops bin): reads config, opens what the command needs, exits with its code.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfigOrExit } from '../config/load-config';
import { createLogger } from '../src/logging/logger';
import { loggerAuditLog } from '../src/ops/audit-log';
import { runOpsCli } from '../src/ops/cli/ops-cli';
import { openStores, type Stores } from '../src/storage/open-stores';

async function main(): Promise<number> {
  const config = loadConfigOrExit();
  // Logs go to stderr: stdout carries the results (and the JSON of --json).
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, name: 'ops-cli' }, process.stderr);
  // Audit lines are written whatever LOG_LEVEL says: who cancelled or retried what must not depend on it.
  const audit = loggerAuditLog(createLogger({ level: 'info', name: 'ops-audit' }, process.stderr));
  let connection: Redis | undefined;
  let queue: Queue | undefined;
  let stores: Promise<Stores> | undefined;
  try {
    return await runOpsCli(process.argv.slice(2), {
      queue: () => {
        // A few retries, then an error: an on-call engineer needs "Redis is down", not a hang.
        if (!connection) {
          // A few quick reconnects, then give up: an on-call engineer needs "Redis is down", not a hang.
          connection = new Redis(config.redisUrl, {
            maxRetriesPerRequest: 2,
            connectTimeout: 5000,
            retryStrategy: (attempt) => (attempt > 3 ? null : 250 * attempt),
          });
          let lastError = '';
          connection.on('error', (err: Error) => (lastError = err.message));
          connection.on('ready', () => (lastError = ''));
          connection.on('end', () => {
            if (lastError) process.stderr.write(`Cannot reach Redis (${lastError}); check REDIS_URL and that Redis is running.\n`);
          });
        }
        if (!queue) {
          queue = new Queue(config.queueName, { connection });
          queue.on('error', () => {}); // reported once by the connection's 'end' handler above
        }
        return queue;
      },
      deliveries: async () => (await (stores ??= openStores(config, logger))).deliveries,
      settingsSecrets: async () => ({
        rewriter: (await (stores ??= openStores(config, logger))).settings,
        keyring: config.credentials.keyring,
      }),
      io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
      audit,
    });
  } finally {
    await queue?.close();
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
