// Flow-control state in Redis is keyed by the tenant Entra issued the token for, with one hash tag per
// tenant: a Tenant ID typed as a GUID or as a domain is one tenant, and every key of it shares a slot.
import { createRedisConnection } from '@omikai/graph-mailer-client';
import { TENANT_ID, accountDocument, sampleEmail, usePipelineFixture } from '../support/test-pipeline';

const fx = usePipelineFixture();

/** The first {…} of a key: what Redis Cluster hashes. */
const hashTag = (key: string) => /\{([^}]*)\}/.exec(key)?.[1];

describe('flow-control keys in Redis', () => {
  it("use the token's tenant (tid), not the Tenant ID as typed, and carry that tenant's hash tag", async () => {
    const pipeline = await fx.start({
      documents: {
        accounts: [accountDocument('acc-guid'), accountDocument('acc-domain', { tenantId: 'CONTOSO.example' })],
        users: [],
      },
    });
    const jobs = await pipeline.producer.enqueueMany([sampleEmail({ accountId: 'acc-guid' }), sampleEmail({ accountId: 'acc-domain' })]);
    for (const { jobId } of jobs) expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });

    const redis = createRedisConnection({ kind: 'single', url: process.env.REDIS_URL! }, 'producer');
    try {
      const keys = await redis.keys(`${pipeline.queueName}:flow:*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(new Set(keys.map(hashTag))).toEqual(new Set([`t:${TENANT_ID}`]));
      // Both accounts draw on the one budget of info@ in that tenant.
      expect(keys.filter((key) => key.endsWith(':next'))).toEqual([
        `${pipeline.queueName}:flow:{t:${TENANT_ID}}:mbx:info@contoso.example:next`,
      ]);
    } finally {
      await redis.quit();
    }
  });
});
