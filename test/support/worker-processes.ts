// Real processes of the entry points in workers/ (the e-mail worker, the dashboard, the ops CLI) for tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SettingsDocuments } from '../../src/settings/memory-settings-store';

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
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(WORKERS_DIR, entry), ...args], {
    env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** One `workers/email-worker.ts` process with exactly this environment (plus PATH and the test CA). */
export function spawnWorkerProcess(env: Record<string, string>): WorkerProcess {
  return spawnEntryProcess('email-worker.ts', env);
}

export interface WorkerProcesses {
  processes: ChildProcess[];
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when all have exited. */
  stop(): Promise<void>;
}

export async function startWorkerProcesses(
  count: number,
  documents: SettingsDocuments,
  env: Record<string, string>,
): Promise<WorkerProcesses> {
  const dir = await mkdtemp(join(tmpdir(), 'omikai-workers-'));
  const settingsFile = join(dir, 'settings.json');
  await writeFile(settingsFile, JSON.stringify(documents));
  const workers = Array.from({ length: count }, () =>
    spawnWorkerProcess({ STORE: 'memory', SETTINGS_FILE: settingsFile, WORKER_METRICS_PORT: '0', LOG_LEVEL: 'warn', ...env }),
  );
  const processes = workers.map((worker) => worker.child);
  return {
    processes,
    output: () => workers.map((worker) => worker.output()).join(''),
    async stop() {
      await Promise.all(
        processes.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
              child.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              child.kill('SIGTERM');
            }),
        ),
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}
