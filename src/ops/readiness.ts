// Readiness checks for /readyz: is Redis answering, is the delivery store answering.
import { type DeliveryStore, describeFailure, toError, withTimeout } from '@omikai/graph-mailer-client';
import type { StoreHealth } from '../sending/store-guard';

export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; rejects (or times out) when it does not. */
  check(): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  /** 'ok' or 'failed' per dependency: what /readyz answers, with no internal detail. */
  checks: Record<string, 'ok' | 'failed'>;
  /** What went wrong, per failed dependency: for the log only (it can name hosts and users). */
  problems: Record<string, string>;
}

export const READINESS_TIMEOUT_MS = 2000;

export function redisReadiness(redis: { ping(): Promise<string> }): ReadinessCheck {
  return {
    name: 'redis',
    async check() {
      const answer = await redis.ping();
      if (answer !== 'PONG') throw new Error(`PING answered ${answer}`);
    },
  };
}

/**
 * A lookup of a job id that does not exist: it goes through the same connection as real work, for
 * MongoDB as for the memory store (which is always reachable).
 */
export function deliveryStoreReadiness(deliveries: Pick<DeliveryStore, 'find'>): ReadinessCheck {
  return {
    name: 'deliveryStore',
    async check() {
      await deliveries.find({ jobId: '__readyz__', limit: 1 });
    },
  };
}

/**
 * Red while a store keeps refusing operations in a way waiting does not fix (a privilege, a validator):
 * reads may still work, so the lookup above stays green. Clears when the store next answers a job.
 */
export function storeErrorsReadiness(health: Pick<StoreHealth, 'current'>): ReadinessCheck {
  return {
    name: 'storeErrors',
    async check() {
      const problems = health.current();
      if (problems.length === 0) return;
      throw new Error(
        problems.map(({ store, failure, since }) => `${store} since ${since.toISOString()}: ${describeFailure(failure)}`).join('; '),
      );
    },
  };
}

/** A check on the process itself, e.g. "the worker is not shutting down". */
export function conditionReadiness(name: string, isReady: () => boolean, whyNot: string): ReadinessCheck {
  return {
    name,
    async check() {
      if (!isReady()) throw new Error(whyNot);
    },
  };
}

export async function runReadinessChecks(checks: readonly ReadinessCheck[], timeoutMs = READINESS_TIMEOUT_MS): Promise<ReadinessReport> {
  const problems: Record<string, string> = {};
  const results = await Promise.all(
    checks.map(async ({ name, check }): Promise<[string, 'ok' | 'failed']> => {
      try {
        await withTimeout(check(), timeoutMs, name);
        return [name, 'ok'];
      } catch (err: unknown) {
        problems[name] = toError(err).message;
        return [name, 'failed'];
      }
    }),
  );
  return { ready: results.every(([, result]) => result === 'ok'), checks: Object.fromEntries(results), problems };
}
