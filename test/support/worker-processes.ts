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
