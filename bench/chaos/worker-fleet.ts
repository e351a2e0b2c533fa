// The chaos run's worker processes: start N, SIGKILL one and start its replacement, read their RSS,
// and stop them all (SIGTERM, then SIGKILL after a deadline), also when the harness itself fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const WORKER_ENTRY = join(__dirname, 'chaos-worker.ts');
const REPO_ROOT = join(__dirname, '../..');
const READY_TIMEOUT_MS = 60_000;
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

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

export function createWorkerFleet({ count, env, args, logDir }: WorkerFleetOptions): WorkerFleet {
  const slots: (ChildProcess | undefined)[] = Array.from({ length: count }, () => undefined);
  const startedPids: number[] = [];
  // Last resort when the harness exits without its finally blocks (an uncaught error): no orphans.
  const killAll = () => slots.forEach((child) => child?.kill('SIGKILL'));
  process.once('exit', killAll);

  async function startSlot(slot: number): Promise<void> {
    const log = openSync(join(logDir, `worker-${slot}.log`), 'a');
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', WORKER_ENTRY, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', log, log, 'ipc'],
    });
    closeSync(log);
    slots[slot] = child;
    if (child.pid !== undefined) startedPids.push(child.pid);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${slot} was not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker ${slot} exited before it was ready (code ${code}, signal ${signal}); see ${logDir}/worker-${slot}.log`));
      });
    });
    child.removeAllListeners('exit');
  }

  async function stopChild(child: ChildProcess): Promise<void> {
    const gone = exited(child);
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), STOP_TIMEOUT_MS)));
    if ((await Promise.race([gone.then(() => 'gone' as const), deadline])) === 'deadline') child.kill('SIGKILL');
    clearTimeout(timer);
    await gone;
  }

  return {
    startedPids,
    async start() {
      await Promise.all(slots.map((_, slot) => startSlot(slot)));
    },
    async killAndReplace(slot) {
      const child = slots[slot];
      if (child) {
        const gone = exited(child);
        child.kill('SIGKILL');
        await gone;
      }
      await startSlot(slot);
    },
    async rssMb() {
      const live = slots.filter((child): child is ChildProcess => child?.pid !== undefined && child.exitCode === null);
      return Promise.all(
        live.map(async (child) => {
          const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
          const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
          return kb / 1024;
        }),
      );
    },
    async stop() {
      await Promise.all(slots.filter((child): child is ChildProcess => child !== undefined).map(stopChild));
      process.removeListener('exit', killAll);
    },
  };
}
