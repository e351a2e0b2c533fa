// Real processes of the entry points in workers/ (the e-mail worker, the dashboard, the ops CLI) for tests.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { spawnProcess } from '../../tools/processes';

export { startWorkerProcesses, type WorkerProcesses } from '../../tools/processes';

const WORKERS_DIR = join(__dirname, '../../workers');

export interface WorkerProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** The exit code (78 for a configuration error). */
  exited: Promise<number | null>;
}

/** One process of `workers/<entry>` with exactly this environment (plus PATH and the test CA). */
export function spawnEntryProcess(entry: string, env: Record<string, string>, args: string[] = []): WorkerProcess {
  return spawnProcess({
    entry: join(WORKERS_DIR, entry),
    args,
    env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, ...env },
  });
}

/** One `workers/email-worker.ts` process with exactly this environment (plus PATH and the test CA). */
export function spawnWorkerProcess(env: Record<string, string>): WorkerProcess {
  return spawnEntryProcess('email-worker.ts', env);
}

/**
 * The process's JSON log line whose `msg` is this, once it is written: e.g. the ports a process started
 * with DASHBOARD_PORT / *_METRICS_PORT=auto bound. Rejects with the output so far when the process
 * ends first, or after `timeoutMs`.
 */
export function logLine(worker: WorkerProcess, msg: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const find = (): Record<string, unknown> | undefined => {
    for (const line of worker.output().split('\n')) {
      if (!line.startsWith('{') || !line.includes(msg)) continue;
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === msg) return entry;
      } catch {
        // The last line may still be arriving; the next chunk completes it.
      }
    }
    return undefined;
  };
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      worker.child.stdout!.off('data', check);
      worker.child.off('close', ended);
      outcome();
    };
    const check = () => {
      const entry = find();
      if (entry) settle(() => resolve(entry));
    };
    const ended = (code: number | null) =>
      settle(() => reject(new Error(`The process ended (exit code ${code}) without logging "${msg}". Its output:\n${worker.output()}`)));
    const timer = setTimeout(
      () => settle(() => reject(new Error(`No "${msg}" log line within ${timeoutMs} ms. The output so far:\n${worker.output()}`))),
      timeoutMs,
    );
    worker.child.stdout!.on('data', check);
    worker.child.once('close', ended);
    check();
  });
}

/** A port a process logged (see logLine), checked to be one. */
export function loggedPort(entry: Record<string, unknown>, field: string): number {
  const port = entry[field];
  if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0) {
    throw new Error(`The log line "${String(entry.msg)}" has no port in ${field}: ${JSON.stringify(entry)}`);
  }
  return port;
}
