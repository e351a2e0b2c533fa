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
