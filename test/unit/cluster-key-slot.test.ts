// The client package computes Cluster slots itself (it depends on bullmq, ioredis and zod only): the
// same slot as cluster-key-slot (what ioredis routes by) for plain keys, hash tags and odd tags. Where
// the two differ (an empty tag followed by another, `x{}y{z}`: Redis hashes the whole key),
// test/integration/cluster-topology.test.ts checks clusterKeySlot against CLUSTER KEYSLOT itself.
import calculateSlot from 'cluster-key-slot';
import { clusterKeySlot } from '@omikai/graph-mailer-client';

describe('clusterKeySlot', () => {
  it('matches the slots Redis documents', () => {
    // CLUSTER KEYSLOT answers from the Redis documentation and its test suite.
    expect(clusterKeySlot('foo')).toBe(12182);
    expect(clusterKeySlot('{user1000}.following')).toBe(clusterKeySlot('{user1000}.followers'));
    expect(clusterKeySlot('123456789')).toBe(0x31c3 % 16384);
  });

  it('agrees with cluster-key-slot on queue keys, hash tags, empty and unclosed tags, and non-ASCII keys', () => {
    const keys = [
      '',
      'bull:omikai-email:id',
      '{omikai-email}:id',
      '{omikai-email-s0}:omikai-email-s0:wait',
      '{omikai-email-s7}:omikai-email-s7:events',
      '{}:empty-tag',
      'no{close',
      'a}b{c}d',
      '{{nested}}',
      'größe:ünïcode:😀',
      '{tag',
      '}{',
      ...Array.from({ length: 500 }, (_, index) => `email-${index.toString(36)}-${(index * 7919).toString(16)}`),
    ];
    for (const key of keys) expect([key, clusterKeySlot(key)]).toEqual([key, calculateSlot(key)]);
  });
});
