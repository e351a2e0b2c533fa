// Starts everything a chaos run works on — a Redis (an AOF redis-server, or a Sentinel set or Cluster for
// a failover run), the Graph simulator process, the shared store service and N worker processes — and
// stops all of it again, also after a failed start.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RedisTarget } from '@omikai/graph-mailer-client';
import { loadConfig } from '../../config/load-config';
import { MemorySettingsStore } from '../../src/settings/memory-settings-store';
import { startSimulatorProcess, type SimulatorProcess } from '../../tools/graph-simulator/simulator-process';
import { CHAOS_SETTINGS, CHAOS_TENANTS, chaosWorkerEnv } from './chaos-scenario';
import { startStoreService, type StoreService } from './store-service';
import { createWorkerFleet, type WorkerFleet } from './worker-fleet';

export interface ChaosSystemOptions {
  workers: number;
  /** WORKER_CONCURRENCY of each worker process. */
  concurrency: number;
  flow: boolean;
  /** Added to every sendMail answer, so sends are in flight as they are with the real Graph. */
  simulatorLatencyMs: number;
  logLevel: string;
  /** Keep the work directory (worker logs, AOF) after the run. */
  keepWorkDir: boolean;
}

/** The Redis a run works on: where it is, for the harness and as the workers' REDIS_* variables. */
export interface ChaosRedis {
  target: RedisTarget;
  env: Record<string, string>;
  /** Every pid it started, to check at the end that none is left running. */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

export interface ChaosSystem<R extends ChaosRedis> {
  workDir: string;
  queueName: string;
  redis: R;
  simulator: SimulatorProcess;
  store: StoreService;
  fleet: WorkerFleet;
  /** Stops everything that was started; safe to call twice. Resolves with how many processes are still alive. */
  stop(): Promise<number>;
}

/** Whether a process with this pid still runs (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `startRedis` gets a directory of its own in the work directory. */
export async function startChaosSystem<R extends ChaosRedis>(
  options: ChaosSystemOptions,
  startRedis: (dir: string) => Promise<R>,
  queuePrefix = 'chaos',
): Promise<ChaosSystem<R>> {
  const caCert = process.env.NODE_EXTRA_CA_CERTS;
  if (!caCert) throw new Error('NODE_EXTRA_CA_CERTS is not set: run `npm run chaos` (it trusts the simulator certificate first).');
  const workDir = await mkdtemp(join(tmpdir(), `omikai-${queuePrefix}-`));
  const stoppers: (() => Promise<unknown>)[] = [];
  const pids: number[] = [];
  let stopped: Promise<number> | undefined;

  async function stopAll(): Promise<number> {
    for (const stopOne of stoppers.reverse()) {
      await stopOne().catch((err: unknown) => console.error('chaos: could not stop a component cleanly:', err));
    }
    stoppers.length = 0;
    if (!options.keepWorkDir) await rm(workDir, { recursive: true, force: true });
    return pids.filter(isAlive).length;
  }

  try {
    const redisDir = join(workDir, 'redis');
    await mkdir(redisDir);
    const redis = await startRedis(redisDir);
    stoppers.push(async () => {
      await redis.stop();
      pids.push(...redis.pids);
    });
    const simulator = await startSimulatorProcess(CHAOS_TENANTS, workDir, ['--latency-ms', String(options.simulatorLatencyMs)]);
    stoppers.push(async () => {
      await simulator.stop();
      pids.push(simulator.pid);
    });

    const settingsFile = join(workDir, 'settings.json');
    await writeFile(settingsFile, JSON.stringify(CHAOS_SETTINGS));
    const { shape } = loadConfig({ STORE: 'memory', SETTINGS_FILE: settingsFile }).settings;
    const store = await startStoreService(new MemorySettingsStore(CHAOS_SETTINGS, shape));
    stoppers.push(() => store.close());

    const queueName = `${queuePrefix}-${randomUUID()}`;
    const fleet = createWorkerFleet({
      count: options.workers,
      logDir: workDir,
      args: ['--store-url', store.url],
      env: chaosWorkerEnv({
        redisEnv: redis.env,
        queueName,
        simulatorUrl: simulator.url,
        settingsFile,
        caCertPath: resolve(caCert),
        concurrency: options.concurrency,
        flow: options.flow,
        logLevel: options.logLevel,
      }),
    });
    // Workers stop first: they need Redis and the stores to finish their in-flight jobs.
    stoppers.push(async () => {
      await fleet.stop();
      pids.push(...fleet.startedPids);
    });
    await fleet.start();
    return { workDir, queueName, redis, simulator, store, fleet, stop: () => (stopped ??= stopAll()) };
  } catch (err: unknown) {
    await stopAll();
    throw err;
  }
}
