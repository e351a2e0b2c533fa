// Limits dashboard sign-in failures per (client address, user name) and per client address, and how
// many password checks run at once. Checked before scrypt: each check costs ~128 MiB and real CPU.
// In memory, per dashboard process: several dashboard processes each keep their own counts.
import { RateLimiterMemory } from 'rate-limiter-flexible';

export interface LoginLimits {
  /** Failures allowed for one user name from one address within the window… */
  failuresPerUserAndAddress: number;
  userAndAddressWindowMs: number;
  /** …and for one address whatever the user names, so guessing names does not help. */
  failuresPerAddress: number;
  addressWindowMs: number;
  /** Password checks running at once; scrypt also shares libuv's 4 threads with DNS and files. */
  maxConcurrentChecks: number;
  /** Checks waiting for a turn; beyond this a sign-in is answered "busy". */
  maxWaitingChecks: number;
}

/**
 * Not per user name alone: that would let anyone lock the admin out from anywhere. An office
 * behind one NAT address shares the per-address budget, hence its size.
 */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  failuresPerUserAndAddress: 10,
  userAndAddressWindowMs: 15 * 60_000,
  failuresPerAddress: 100,
  addressWindowMs: 60 * 60_000,
  maxConcurrentChecks: 2,
  maxWaitingChecks: 100,
};

/** User names longer than this cannot be valid; they are cut so one key stays small. */
const MAX_NAME_IN_KEY = 64;

export type GuardVerdict = { limited: false } | { limited: true; retryAfterMs: number };

export class LoginGuard {
  private readonly byUserAndAddress: RateLimiterMemory;
  private readonly byAddress: RateLimiterMemory;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    this.byUserAndAddress = new RateLimiterMemory({
      keyPrefix: 'user-address',
      points: limits.failuresPerUserAndAddress,
      duration: Math.ceil(limits.userAndAddressWindowMs / 1000),
    });
    this.byAddress = new RateLimiterMemory({
      keyPrefix: 'address',
      points: limits.failuresPerAddress,
      duration: Math.ceil(limits.addressWindowMs / 1000),
    });
  }

  /** Whether this address (for this user) has used up its failures. */
  async check(address: string, name: string): Promise<GuardVerdict> {
    const [pair, whole] = await Promise.all([this.byUserAndAddress.get(pairKey(address, name)), this.byAddress.get(address)]);
    const waits = [
      pair && pair.consumedPoints >= this.limits.failuresPerUserAndAddress ? pair.msBeforeNext : 0,
      whole && whole.consumedPoints >= this.limits.failuresPerAddress ? whole.msBeforeNext : 0,
    ];
    const retryAfterMs = Math.max(...waits);
    return retryAfterMs > 0 ? { limited: true, retryAfterMs } : { limited: false };
  }

  async recordFailure(address: string, name: string): Promise<void> {
    await Promise.all([this.byUserAndAddress.penalty(pairKey(address, name)), this.byAddress.penalty(address)]);
  }

  /** A right password clears that user's failures at that address (the address's own count stays). */
  async recordSuccess(address: string, name: string): Promise<void> {
    await this.byUserAndAddress.delete(pairKey(address, name));
  }

  /** Runs `check` when a slot is free; 'busy' when too many wait already. */
  async withSlot<T>(check: () => Promise<T>): Promise<T | 'busy'> {
    if (this.running >= this.limits.maxConcurrentChecks) {
      if (this.waiting.length >= this.limits.maxWaitingChecks) return 'busy';
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await check();
    } finally {
      // The slot passes straight to the next waiter, so `running` stays counted.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

function pairKey(address: string, name: string): string {
  return `${address}\u0000${name.slice(0, MAX_NAME_IN_KEY)}`;
}
