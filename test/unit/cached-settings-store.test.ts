import { CachedSettingsStore } from '../../src/settings/cached-settings-store';
import type { AccountSettings, SettingsStore } from '../../src/settings/settings-store';

function countingStore(fail = false) {
  const store = {
    reads: 0,
    async findAccount(accountId: string): Promise<AccountSettings | null> {
      store.reads += 1;
      if (fail) throw new Error('MongoDB unavailable');
      return { accountId, emailProvider: 'microsoft-graph' };
    },
    async findUser() {
      store.reads += 1;
      return null;
    },
  } satisfies SettingsStore & { reads: number };
  return store;
}

describe('CachedSettingsStore', () => {
  it('reads an account once per TTL, however many jobs ask at once', async () => {
    let now = 0;
    const store = countingStore();
    const cached = new CachedSettingsStore(store, 60_000, () => now);
    await Promise.all(Array.from({ length: 1000 }, () => cached.findAccount('acc-1')));
    expect(store.reads).toBe(1);
    now = 59_999;
    await cached.findAccount('acc-1');
    expect(store.reads).toBe(1);
    now = 60_000;
    await cached.findAccount('acc-1');
    expect(store.reads).toBe(2);
  });

  it('does not keep a failed read, so the next job tries again', async () => {
    const store = countingStore(true);
    const cached = new CachedSettingsStore(store, 60_000, () => 0);
    await expect(cached.findAccount('acc-1')).rejects.toThrow('MongoDB unavailable');
    await expect(cached.findAccount('acc-1')).rejects.toThrow('MongoDB unavailable');
    expect(store.reads).toBe(2);
  });
});
