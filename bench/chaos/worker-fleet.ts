// The chaos run's worker processes: start N, SIGKILL one and start its replacement, read their RSS,
// and stop them all (SIGTERM, then SIGKILL after a deadline).
import { join } from 'node:path';
import { rssBytes, spawnProcess, type ChildHandle } from '../../tools/processes';

const WORKER_ENTRY = join(__dirname, 'chaos-worker.ts');
const REPO_ROOT = join(__dirname, '../..');
const STOP_TIMEOUT_MS = 15_000;

export interface WorkerFleetOptions {
  count: number;
  /** The whole environment of each worker process (its config is read from it). */
  env: Record<string, string>;
  /** Command-line arguments of the worker entry. */
  args: string[];
  /** Each worker's stdout and stderr are appended to `${logDir}/worker-<slot>.log`. */
  logDir: string;
}

export interface WorkerFleet {
  /** Every pid started so far, to check at the end that none is left running. */
  readonly startedPids: number[];
  start(): Promise<void>;
  /** SIGKILLs the worker in `slot`, waits for it to die, and starts a replacement. */
  killAndReplace(slot: number): Promise<void>;
  /** Resident set size of each live worker, in MB (Linux /proc). */
  rssMb(): Promise<number[]>;
  stop(): Promise<void>;
}

export function createWorkerFleet({ count, env, args, logDir }: WorkerFleetOptions): WorkerFleet {
  const slots: (ChildHandle | undefined)[] = Array.from({ length: count }, () => undefined);
  const startedPids: number[] = [];

  async function startSlot(slot: number): Promise<void> {
    const worker = spawnProcess({
      entry: WORKER_ENTRY,
      args,
      env,
      cwd: REPO_ROOT,
      logFile: join(logDir, `worker-${slot}.log`),
      ready: 'ipc',
    });
    slots[slot] = worker;
    startedPids.push(worker.pid);
    await worker.ready();
  }

  return {
    startedPids,
    async start() {
      await Promise.all(slots.map((_, slot) => startSlot(slot)));
    },
    async killAndReplace(slot) {
      await slots[slot]?.kill();
      await startSlot(slot);
    },
    async rssMb() {
      const live = slots.filter((worker): worker is ChildHandle => worker !== undefined && worker.child.exitCode === null);
      return Promise.all(live.map(async ({ pid }) => (await rssBytes(pid)) / 2 ** 20));
    },
    async stop() {
      await Promise.all(slots.map((worker) => worker?.stop(STOP_TIMEOUT_MS)));
    },
  };
}
