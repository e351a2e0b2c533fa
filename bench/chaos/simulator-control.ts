// The Graph simulator as a child process of the chaos run (as bench/simulator-process.ts runs it, plus a
// last-resort kill when the harness exits abnormally), driven over its control API.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AcceptedMessage, SimulatorFault, SimulatorTenant } from '../../tools/graph-simulator/graph-simulator';
import { freePort } from '../../tools/redis/throwaway-redis';

const SIMULATOR_ENTRY = join(__dirname, '../../test/simulator/main.ts');
const START_TIMEOUT_MS = 60_000;

export interface SimulatorChild {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function control(simulatorUrl: string, method: string, path: string, body?: unknown): Promise<Response> {
  const response = await fetch(`${simulatorUrl}/_simulator/${path}`, {
    method,
    signal: AbortSignal.timeout(30_000),
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  if (!response.ok) throw new Error(`simulator control ${method} ${path} answered ${response.status}: ${await response.text()}`);
  return response;
}

export async function startSimulatorChild(tenants: SimulatorTenant[], workDir: string, latencyMs: number): Promise<SimulatorChild> {
  const port = await freePort();
  const configPath = join(workDir, 'simulator-tenants.json');
  await writeFile(configPath, JSON.stringify({ tenants }));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', SIMULATOR_ENTRY, '--port', String(port), '--config', configPath, '--latency-ms', String(latencyMs)],
    { cwd: join(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the simulator did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      void gone.then(() => {
        clearTimeout(timer);
        reject(new Error(`the simulator exited with code ${child.exitCode}`));
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        if (!chunk.toString().includes('listening on')) return;
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (err: unknown) {
    child.kill('SIGKILL');
    throw err;
  }
  child.stdout!.resume();
  return {
    url: `https://localhost:${port}`,
    pid: child.pid ?? -1,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await gone;
      process.removeListener('exit', killOnExit);
    },
  };
}

export async function addSimulatorFault(simulatorUrl: string, fault: SimulatorFault): Promise<void> {
  await control(simulatorUrl, 'POST', 'faults', fault);
}

/** Every message the simulator accepted (including accept-then-504/reset), in arrival order. */
export async function fetchAcceptedMessages(simulatorUrl: string): Promise<AcceptedMessage[]> {
  const { messages } = (await (await control(simulatorUrl, 'GET', 'sent')).json()) as { messages: AcceptedMessage[] };
  return messages;
}
