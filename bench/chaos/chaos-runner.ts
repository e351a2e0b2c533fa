// Executes a chaos plan against the running system and remembers what it did: which attempts were in
// flight at each worker kill and Redis restart (the only sends that may be duplicated by them).
import type { AofRedis } from './aof-redis';
import { describeAction, type ChaosStep } from './chaos-plan';
import type { SimulatorProcess } from '../../tools/graph-simulator/simulator-process';
import type { StoreService } from './store-service';
import type { WorkerFleet } from './worker-fleet';

export interface ChaosTargets {
  fleet: WorkerFleet;
  redis: AofRedis;
  store: StoreService;
  simulator: Pick<SimulatorProcess, 'addFault'>;
}

export interface ChaosRecord {
  workerKills: number;
  redisRestarts: number;
  storeOutageSeconds: number;
  /** Records in state 'sending' at each kill: sends that may have reached Graph without being recorded. */
  sendingAtKills: number[];
  sendingAtRedisRestarts: number[];
  /** Every job id that was 'sending' at a kill, and at a Redis stop. */
  inFlightAtKills: Set<string>;
  inFlightAtRedisRestarts: Set<string>;
  /** Steps not reached before the deadline (the run did not progress far enough). */
  skippedSteps: number;
  timeline: { atSeconds: number; event: string }[];
}

export interface RunPlanOptions {
  /** Share of the jobs (0..1) that have ended. */
  progress(): number;
  deadlineMs: number;
  startedAtMs: number;
  signal?: AbortSignal;
  log(line: string): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForProgress(share: number, { progress, deadlineMs, signal }: RunPlanOptions): Promise<boolean> {
  while (progress() < share) {
    if (Date.now() > deadlineMs || signal?.aborted) return false;
    await sleep(100);
  }
  return true;
}

/** What a run without disruptions (a soak) did: nothing yet. */
export function emptyChaosRecord(): ChaosRecord {
  return {
    workerKills: 0,
    redisRestarts: 0,
    storeOutageSeconds: 0,
    sendingAtKills: [],
    sendingAtRedisRestarts: [],
    inFlightAtKills: new Set(),
    inFlightAtRedisRestarts: new Set(),
    skippedSteps: 0,
    timeline: [],
  };
}

export async function runChaosPlan(steps: ChaosStep[], targets: ChaosTargets, options: RunPlanOptions): Promise<ChaosRecord> {
  const record = emptyChaosRecord();
  const note = (event: string) => {
    const atSeconds = Number(((Date.now() - options.startedAtMs) / 1000).toFixed(1));
    record.timeline.push({ atSeconds, event });
    options.log(`  ${String(atSeconds).padStart(6)} s  ${event}`);
  };
  const snapshotInFlight = async (into: Set<string>): Promise<number> => {
    const sending = await targets.store.sendingJobIds();
    for (const jobId of sending) into.add(jobId);
    return sending.length;
  };

  for (const [index, step] of steps.entries()) {
    if (!(await waitForProgress(step.atProgress, options))) {
      record.skippedSteps = steps.length - index;
      note(`deadline or abort: ${record.skippedSteps} disruption(s) not applied`);
      break;
    }
    const { action } = step;
    const label = `${(step.atProgress * 100).toFixed(0)}% done: ${describeAction(action)}`;
    switch (action.kind) {
      case 'kill-worker': {
        const inFlight = await snapshotInFlight(record.inFlightAtKills);
        await targets.fleet.killAndReplace(action.slot);
        record.workerKills += 1;
        record.sendingAtKills.push(inFlight);
        note(`${label} (${inFlight} records 'sending' at the kill)`);
        break;
      }
      case 'restart-redis': {
        const inFlight = await snapshotInFlight(record.inFlightAtRedisRestarts);
        await targets.redis.restart(action.downMs, action.signal);
        record.redisRestarts += 1;
        record.sendingAtRedisRestarts.push(inFlight);
        note(`${label} (${inFlight} records 'sending' at the stop)`);
        break;
      }
      case 'store-outage': {
        note(label);
        targets.store.setDown(true);
        const downSinceMs = Date.now();
        try {
          const until = Math.min(downSinceMs + action.ms, options.deadlineMs);
          while (Date.now() < until && !options.signal?.aborted) await sleep(Math.min(250, until - Date.now()));
        } finally {
          targets.store.setDown(false);
        }
        record.storeOutageSeconds += Math.round((Date.now() - downSinceMs) / 100) / 10;
        note('store service back up');
        break;
      }
      case 'graph-fault':
        await targets.simulator.addFault(action.fault);
        note(label);
        break;
    }
  }
  return record;
}
