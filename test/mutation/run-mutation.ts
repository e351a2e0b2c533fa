// npm run test:mutation: starts Redis and the MongoDB contract targets once, then runs Stryker, whose
// every jest run (one per mutant) uses them instead of starting its own (jest's globalSetup is off there).
import { spawn } from 'node:child_process';
import { MONGO_TARGETS_VARIABLE, startMongoTargets } from '../support/mongo-targets';
import { startRedisServer } from '../../tools/redis/throwaway-redis';

async function main(): Promise<number> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const mongo = await startMongoTargets(log);
  log(mongo.banner);
  const redis = process.env.REDIS_URL ? undefined : await startRedisServer();
  const env = {
    ...process.env,
    [MONGO_TARGETS_VARIABLE]: JSON.stringify(mongo.targets),
    REDIS_URL: process.env.REDIS_URL ?? redis?.url,
  };
  const startedAt = Date.now();
  try {
    return await new Promise<number>((resolve, reject) => {
      const stryker = spawn('npx', ['stryker', 'run', ...process.argv.slice(2)], { stdio: 'inherit', env });
      // Ctrl-C reaches Stryker too (same terminal); wait for it, then stop Redis and MongoDB below.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stryker.kill(signal));
      stryker.once('error', reject);
      stryker.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    log(`Mutation run took ${((Date.now() - startedAt) / 60_000).toFixed(1)} min.`);
    log(mongo.banner);
    await Promise.all([redis?.stop(), mongo.stop()]);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
