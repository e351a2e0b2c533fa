import { MemoryDeliveryStore } from '../../src/delivery/memory-delivery-store';

const start = (jobId: string, idempotencyKey?: string) => ({
  jobId,
  accountId: 'acc-1',
  subject: 's',
  recipientCount: 1,
  status: 'sending' as const,
  now: new Date(Date.parse('2026-11-26T10:00:00Z') + Number(jobId.slice(4))),
  ...(idempotencyKey ? { idempotencyKey } : {}),
});

describe('MemoryDeliveryStore retention', () => {
  it('keeps only the newest records, so a long demo does not grow without bound', async () => {
    const store = new MemoryDeliveryStore(3);
    for (let i = 1; i <= 5; i += 1) await store.startAttempt(start(`job-${i}`, `key-${i}`));
    expect((await store.find({})).map((r) => r.jobId)).toEqual(['job-5', 'job-4', 'job-3']);
    // The forgotten job's idempotency key is free again.
    expect(await store.startAttempt(start('job-6', 'key-1'))).toEqual({ action: 'send', possibleDuplicate: false });
  });

  it('never holds more than its limit, and drops the oldest tenth at once when full', async () => {
    const store = new MemoryDeliveryStore(20);
    for (let i = 1; i <= 20; i += 1) await store.startAttempt(start(`job-${i}`));
    expect(await store.find({ limit: 100 })).toHaveLength(20);
    await store.startAttempt(start('job-21'));
    const kept = (await store.find({ limit: 100 })).map((r) => r.jobId);
    expect(kept).toHaveLength(19);
    expect(kept.at(-1)).toBe('job-3');
    expect(kept[0]).toBe('job-21');
  });
});
