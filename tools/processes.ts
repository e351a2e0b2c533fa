// Child processes of a harness (tests, bench, chaos): a TypeScript entry run under tsx with exactly the
// environment given, its output kept in memory or appended to a file, a ready signal, SIGTERM then
// SIGKILL after a deadline, and SIGKILL for every child still running when the harness process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import type { SettingsDocuments } from '../src/settings/memory-settings-store';

export interface SpawnOptions {
  /** The .ts entry, run as `node --require tsx/cjs <entry> <args>`. */
  entry: string;
  args?: string[];
  /** The child's whole environment. */
  env: Record<string, string | undefined>;
  cwd?: string;
  /** stdout and stderr are appended to this file; without it they are kept in memory (`output()`). */
  logFile?: string;
  /** Ready on the child's first IPC message ('ipc'), or on output matching this (in memory only); default: once spawned. */
  ready?: 'ipc' | RegExp;
}

export interface ChildHandle {
  child: ChildProcess;
  pid: number;
  /** stdout and stderr so far (empty with `logFile`). */
  output(): string;
  /** The exit code (null after a signal). */
  exited: Promise<number | null>;
  /** Resolves once ready; rejects when the child exits first or is not ready within `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `deadlineMs`; resolves once it has exited. */
  stop(deadlineMs?: number): Promise<void>;
  /** SIGKILL; resolves once it has exited. */
  kill(): Promise<void>;
}

/** Children still running: a harness that exits without stopping them (an uncaught error) kills them. */
const running = new Set<ChildProcess>();
const killRunning = () => running.forEach((child) => child.kill('SIGKILL'));

function describe(entry: string, logFile: string | undefined): string {
  return `${entry}${logFile ? ` (log: ${logFile})` : ''}`;
}

export function spawnProcess({ entry, args = [], env, cwd, logFile, ready }: SpawnOptions): ChildHandle {
  const log = logFile === undefined ? undefined : openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', entry, ...args], {
    env,
    ...(cwd ? { cwd } : {}),
    stdio: ['ignore', log ?? 'pipe', log ?? 'pipe', ...(ready === 'ipc' ? (['ipc'] as const) : [])],
  });
  if (log !== undefined) closeSync(log);
  if (running.size === 0) process.once('exit', killRunning);
  running.add(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      if (running.size === 0) process.removeListener('exit', killRunning);
      resolve(code);
    }),
  );
  const isReady = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready instanceof RegExp && ready.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    if (ready === undefined) resolve();
    if (ready === 'ipc') child.once('message', () => resolve());
    void exited.then((code) =>
      reject(new Error(`${describe(entry, logFile)} exited before it was ready (code ${code}, signal ${child.signalCode}):\n${output}`)),
    );
  });
  isReady.catch(() => {}); // read through ready(); an unawaited failure is no crash
  const gone = () => child.exitCode !== null || child.signalCode !== null;

  return {
    child,
    pid: child.pid ?? -1,
    output: () => output,
    exited,
    async ready(timeoutMs = 60_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${describe(entry, logFile)} was not ready within ${timeoutMs} ms:\n${output}`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([isReady, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async stop(deadlineMs = 10_000) {
      if (gone()) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A module's source folder, also when it runs compiled in .bench-build/ (`npm run bench`): entries are run from source. */
export function sourceDir(dir: string): string {
  return dir.replace(`${sep}.bench-build${sep}`, sep);
}

/** A process's resident set size in bytes (Linux /proc); NaN once it is gone. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) * 1024;
}

/** Samples a process's RSS every `everyMs` until `stop()`, which resolves with the peak in bytes. */
export function samplePeakRss(pid: number, everyMs = 50): { stop(): Promise<number> } {
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, (await rssBytes(pid)) || 0);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await sampler;
      return peak;
    },
  };
}

const WORKER_ENTRY = join(sourceDir(__dirname), '../workers/email-worker.ts');

export interface WorkerProcesses {
  processes: ChildProcess[];
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when all have exited. */
  stop(): Promise<void>;
}

/**
 * `count` processes of workers/email-worker.ts with STORE=memory and these settings documents (written to a
 * temporary SETTINGS_FILE), metrics on a free port and LOG_LEVEL warn unless `env` says otherwise; PATH and
 * NODE_EXTRA_CA_CERTS are passed on.
 */
export async function startWorkerProcesses(
  count: number,
  documents: SettingsDocuments,
  env: Record<string, string>,
): Promise<WorkerProcesses> {
  const dir = await mkdtemp(join(tmpdir(), 'omikai-workers-'));
  const settingsFile = join(dir, 'settings.json');
  await writeFile(settingsFile, JSON.stringify(documents));
  const workers = Array.from({ length: count }, () =>
    spawnProcess({
      entry: WORKER_ENTRY,
      env: {
        PATH: process.env.PATH,
        NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
        STORE: 'memory',
        SETTINGS_FILE: settingsFile,
        WORKER_METRICS_PORT: '0',
        LOG_LEVEL: 'warn',
        ...env,
      },
    }),
  );
  return {
    processes: workers.map((worker) => worker.child),
    output: () => workers.map((worker) => worker.output()).join(''),
    async stop() {
      await Promise.all(workers.map((worker) => worker.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
