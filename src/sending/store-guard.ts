// Tells a store outage (MongoDB down, a network blip) apart from a decision: the first makes a job
// wait without using an attempt, so an outage never turns into permanent failures.
import { DeliveryError } from '../delivery/failure';

export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';

  constructor(
    readonly store: 'settings' | 'deliveries',
    cause: unknown,
  ) {
    super(`The ${store} store is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Runs a store call; anything it throws except a DeliveryError (a decision) means the store is down. */
export async function guardStore<T>(store: StoreUnavailableError['store'], call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err: unknown) {
    if (err instanceof DeliveryError) throw err;
    throw new StoreUnavailableError(store, err);
  }
}

/** Waits while a store is down: 1 s, doubling per consecutive wait, at most 30 s. */
export function storeRetryDelayMs(consecutiveWaits: number, random: number): number {
  const ceilingMs = Math.min(30_000, 1000 * 2 ** Math.max(0, consecutiveWaits));
  return Math.round(ceilingMs / 2 + (ceilingMs / 2) * random);
}
