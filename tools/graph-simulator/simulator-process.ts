// The Graph simulator in a process of its own (so its CPU is not the harness's), for bench and chaos,
// driven over its control API; killed with the harness if that exits without stopping it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../redis/throwaway-redis';
import { sourceDir, spawnProcess } from '../processes';
import type { AcceptedMessage, SimulatorFault, SimulatorStats, SimulatorTenant } from './graph-simulator';

const SIMULATOR_ENTRY = join(sourceDir(__dirname), 'main.ts');
const START_TIMEOUT_MS = 60_000;

export interface SimulatorProcess {
  url: string;
  pid: number;
  stats(): Promise<SimulatorStats>;
  /** Every message accepted (including accept-then-504/reset), in arrival order. */
  sent(): Promise<AcceptedMessage[]>;
  reset(): Promise<void>;
  setLatencyMs(ms: number): Promise<void>;
  addFault(fault: SimulatorFault): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `tools/graph-simulator/main.ts` for these tenants; `args` are its other options (e.g. `--latency-ms 150`). */
export async function startSimulatorProcess(tenants: SimulatorTenant[], workDir: string, args: string[] = []): Promise<SimulatorProcess> {
  const port = await freePort();
  const configPath = join(workDir, 'simulator-tenants.json');
  await writeFile(configPath, JSON.stringify({ tenants }));
  const simulator = spawnProcess({
    entry: SIMULATOR_ENTRY,
    args: ['--port', String(port), '--config', configPath, ...args],
    env: process.env,
    ready: /listening on/,
  });
  try {
    await simulator.ready(START_TIMEOUT_MS);
  } catch (err: unknown) {
    await simulator.kill();
    throw err;
  }
  const url = `https://localhost:${port}`;
  const control = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const response = await fetch(`${url}/_simulator/${path}`, {
      method,
      signal: AbortSignal.timeout(30_000),
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (!response.ok) throw new Error(`simulator control ${method} ${path} answered ${response.status}: ${await response.text()}`);
    return response;
  };
  return {
    url,
    pid: simulator.pid,
    stats: async () => (await (await control('GET', 'stats')).json()) as SimulatorStats,
    sent: async () => ((await (await control('GET', 'sent')).json()) as { messages: AcceptedMessage[] }).messages,
    reset: async () => void (await control('POST', 'reset')),
    setLatencyMs: async (ms) => void (await control('PUT', 'latency', { ms })),
    addFault: async (fault) => void (await control('POST', 'faults', fault)),
    stop: () => simulator.stop(),
  };
}
