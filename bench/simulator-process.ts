// Runs the Graph simulator in its own process (so its CPU is not ours) and drives it over its control API.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AcceptedMessage, SimulatorStats, SimulatorTenant } from '../tools/graph-simulator/graph-simulator';
import { freePort } from '../tools/redis/throwaway-redis';

export interface SimulatorProcess {
  url: string;
  stats(): Promise<SimulatorStats>;
  sent(): Promise<AcceptedMessage[]>;
  reset(): Promise<void>;
  setLatencyMs(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** The repository, seen from bench/ or from the compiled benchmark in .bench-build/bench/. */
const REPO_ROOT = basename(dirname(__dirname)) === '.bench-build' ? join(__dirname, '..', '..') : join(__dirname, '..');

export async function startSimulatorProcess(
  tenants: SimulatorTenant[],
  workDir: string,
  extraArgs: string[] = [],
): Promise<SimulatorProcess> {
  const port = await freePort();
  const configPath = join(workDir, 'simulator-tenants.json');
  await writeFile(configPath, JSON.stringify({ tenants }));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', join(REPO_ROOT, 'test/simulator/main.ts'), '--port', String(port), '--config', configPath, ...extraArgs],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) resolve();
    });
  });
  child.stdout!.resume();
  const url = `https://localhost:${port}`;
  const control = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const response = await fetch(`${url}/_simulator/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (!response.ok) throw new Error(`simulator control ${method} ${path} answered ${response.status}`);
    return response;
  };
  return {
    url,
    stats: async () => (await (await control('GET', 'stats')).json()) as SimulatorStats,
    sent: async () => ((await (await control('GET', 'sent')).json()) as { messages: AcceptedMessage[] }).messages,
    reset: async () => void (await control('POST', 'reset')),
    setLatencyMs: async (ms) => void (await control('PUT', 'latency', { ms })),
    stop: () =>
      new Promise((resolve) => {
        child.removeAllListeners('exit');
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
