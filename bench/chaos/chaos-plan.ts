// What the chaos run does to the system, and when: a list of disruptions, each fired once the run has
// finished a given share of its jobs, so the plan fits any machine speed. Pure data; chaos-runner.ts executes it.
import type { SimulatorFault } from '../../tools/graph-simulator/graph-simulator';

export type ChaosAction =
  | { kind: 'kill-worker'; slot: number }
  | { kind: 'restart-redis'; downMs: number; signal: 'SIGTERM' | 'SIGKILL' }
  | { kind: 'store-outage'; ms: number }
  | { kind: 'graph-fault'; fault: SimulatorFault };

export interface ChaosStep {
  /** Fired once this share of the jobs (0..1) has ended, sent or failed. */
  atProgress: number;
  action: ChaosAction;
}

export interface ChaosPlanOptions {
  jobs: number;
  workers: number;
  kills: number;
  redisRestarts: number;
  redisDownMs: number;
  /** SIGTERM lets Redis flush its AOF; SIGKILL is a crash (appendfsync everysec may lose the last second). */
  redisStopSignal: 'SIGTERM' | 'SIGKILL';
  storeOutageMs: number;
}

/** Spreads `count` events between `from` and `to`. */
function spread(count: number, from: number, to: number): number[] {
  return Array.from({ length: count }, (_, i) => (count === 1 ? from : from + ((to - from) * i) / (count - 1)));
}

export function buildChaosPlan({
  jobs,
  workers,
  kills,
  redisRestarts,
  redisDownMs,
  redisStopSignal,
  storeOutageMs,
}: ChaosPlanOptions): ChaosStep[] {
  // Bursts grow with the run: 50 × 503 and 20 × 504-after-accept for 10,000 jobs, a few for a short run.
  const burst = Math.max(5, Math.round(jobs / 200));
  const outcomeUnknown = Math.max(3, Math.round(jobs / 500));
  const sendMail = (fault: SimulatorFault): ChaosAction => ({ kind: 'graph-fault', fault });
  const steps: ChaosStep[] = [
    { atProgress: 0.05, action: sendMail({ on: 'sendMail', kind: 'status', status: 503, times: burst }) },
    { atProgress: 0.2, action: sendMail({ on: 'sendMail', kind: 'status', status: 429, retryAfter: '1', times: burst }) },
    { atProgress: 0.4, action: sendMail({ on: 'sendMail', kind: 'accept-then-504', times: outcomeUnknown }) },
    { atProgress: 0.7, action: sendMail({ on: 'sendMail', kind: 'status', status: 503, retryAfter: '1', times: burst }) },
    {
      atProgress: 0.75,
      action: sendMail({ on: 'sendMail', kind: 'accept-then-reset', times: Math.max(2, Math.round(outcomeUnknown / 4)) }),
    },
    ...spread(kills, 0.1, 0.6).map((atProgress, i) => ({ atProgress, action: { kind: 'kill-worker', slot: i % workers } as const })),
    ...spread(redisRestarts, 0.3, 0.8).map((atProgress) => ({
      atProgress,
      action: { kind: 'restart-redis', downMs: redisDownMs, signal: redisStopSignal } as const,
    })),
  ];
  if (storeOutageMs > 0) steps.push({ atProgress: 0.45, action: { kind: 'store-outage', ms: storeOutageMs } });
  return steps.sort((a, b) => a.atProgress - b.atProgress);
}

/** How many attempts of the plan may reach Graph and still lose their answer (each may produce one duplicate). */
export function outcomeUnknownFaults(steps: ChaosStep[]): number {
  return steps.reduce((sum, { action }) => {
    if (action.kind !== 'graph-fault') return sum;
    const { fault } = action;
    return fault.kind === 'accept-then-504' || fault.kind === 'accept-then-reset' ? sum + (fault.times ?? 1) : sum;
  }, 0);
}

export function describeAction(action: ChaosAction): string {
  switch (action.kind) {
    case 'kill-worker':
      return `SIGKILL worker ${action.slot} and start a replacement`;
    case 'restart-redis':
      return `restart Redis (${action.signal}, down ${action.downMs} ms, AOF reload)`;
    case 'store-outage':
      return `store service down for ${action.ms / 1000} s`;
    case 'graph-fault': {
      const { fault } = action;
      const what = fault.kind === 'status' ? `${fault.status}${fault.retryAfter ? ` Retry-After ${fault.retryAfter}` : ''}` : fault.kind;
      return `Graph answers ${what} × ${fault.times ?? 1}`;
    }
  }
}
