// Tells a store outage (MongoDB down, a network blip, a primary election) apart from a store error that waiting
// does not fix (a missing privilege, a validator, an unsupported server): the first makes a job wait without using
// an attempt; the second fails it as [store] with what to do, and /readyz shows it until the store works again.
import { DeliveryError, type Failure, toError } from '@omikai/graph-mailer-client';
import { classifyStoreError, type StoreName } from '../storage/store-errors';
import { backoffDelayMs } from './retry-policy';

export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';

  constructor(
    readonly store: StoreName,
    cause: unknown,
  ) {
    super(`The ${store} store is unavailable: ${toError(cause).message}`, { cause });
  }
}

/** A store error no wait will fix; `failure.category` is 'store'. */
export class StoreFailedError extends DeliveryError {
  override name = 'StoreFailedError';

  constructor(
    readonly store: StoreName,
    failure: Failure,
    cause: unknown,
  ) {
    super(failure, { cause });
  }
}

export interface StoreProblem {
  store: StoreName;
  failure: Failure;
  since: Date;
}

/** The permanent store errors seen since each store last answered a call: what /readyz reports. */
export class StoreHealth {
  private readonly problems = new Map<StoreName, StoreProblem>();

  failed(store: StoreName, failure: Failure, now: Date): void {
    if (!this.problems.has(store)) this.problems.set(store, { store, failure, since: now });
  }

  answered(store: StoreName): void {
    this.problems.delete(store);
  }

  current(): StoreProblem[] {
    return [...this.problems.values()];
  }
}

/**
 * Runs a store call. A DeliveryError (a decision) passes through; an outage becomes StoreUnavailableError;
 * a permanent error becomes StoreFailedError and is noted in `health`.
 */
export async function guardStore<T>(
  store: StoreName,
  call: () => Promise<T>,
  health?: StoreHealth,
  now: () => number = Date.now,
): Promise<T> {
  let result: T;
  try {
    result = await call();
  } catch (err: unknown) {
    if (err instanceof DeliveryError) throw err;
    const verdict = classifyStoreError(store, err);
    if (verdict.kind === 'outage') throw new StoreUnavailableError(store, err);
    health?.failed(store, verdict.failure, new Date(now()));
    throw new StoreFailedError(store, verdict.failure, err);
  }
  health?.answered(store);
  return result;
}

/** Waits while a store is down: 1 s, doubling per consecutive wait, at most 30 s. */
export function storeRetryDelayMs(consecutiveWaits: number, random: number): number {
  return backoffDelayMs(Math.max(0, consecutiveWaits) + 1, { baseMs: 1000, maxMs: 30_000 }, random);
}
