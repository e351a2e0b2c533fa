// Keeps resolved settings for a short time so a burst of jobs for one account costs one read.
import type { AccountSettings, SettingsStore, UserSettings } from './settings-store';

interface CacheEntry {
  value: Promise<AccountSettings | UserSettings | null>;
  expiresAtMs: number;
}

export class CachedSettingsStore implements SettingsStore {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(
    private readonly store: SettingsStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  findAccount(accountId: string): Promise<AccountSettings | null> {
    return this.cached(`account:${accountId}`, () => this.store.findAccount(accountId)) as Promise<AccountSettings | null>;
  }

  findUser(userId: string): Promise<UserSettings | null> {
    return this.cached(`user:${userId}`, () => this.store.findUser(userId)) as Promise<UserSettings | null>;
  }

  /** Concurrent callers share one read; a failed read is not kept, so the next job reads again. */
  private cached(key: string, read: () => Promise<AccountSettings | UserSettings | null>) {
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry && entry.expiresAtMs > now) return entry.value;

    const value = read();
    this.entries.set(key, { value, expiresAtMs: now + this.ttlMs });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    if (this.entries.size > 10_000) this.evictExpired(now);
    return value;
  }

  private evictExpired(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAtMs <= now) this.entries.delete(key);
  }
}
