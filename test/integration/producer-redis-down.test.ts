// The producer never hangs the ERP: with Redis down, enqueue() fails within its timeout, clearly.
import { createEmailProducer, QueueUnavailableError } from '@omikai/graph-mailer-client';
import { freePort, startRedisServer, type TestRedis } from '../../tools/redis/throwaway-redis';

/** Retries `operation` until it succeeds: the client reconnects on its own schedule. */
async function eventually<T>(operation: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await operation();
    } catch (err: unknown) {
      if (Date.now() > deadline) throw err;
    }
  }
}
import { sampleEmail } from '../support/test-pipeline';

describe('enqueue() with Redis down', () => {
  it('fails within the timeout with a QueueUnavailableError that says what to do', async () => {
    const producer = createEmailProducer({
      connection: { url: `redis://127.0.0.1:${await freePort()}`, retryStrategy: () => 100 },
      enqueueTimeoutMs: 500,
    });
    const startedAt = Date.now();
    const error = await producer.enqueue(sampleEmail()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect((error as Error).message).toMatch(/^Redis did not accept the e-mail within 500 ms/);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    await producer.close().catch(() => undefined);
  });

  it('fails the same way when Redis stops after the producer was working, and works again when it is back', async () => {
    const redis = await startRedisServer();
    const producer = createEmailProducer({ connection: { url: redis.url }, queueName: 'test-producer-down', enqueueTimeoutMs: 500 });
    let restarted: TestRedis | undefined;
    try {
      await producer.enqueue(sampleEmail());
      await redis.stop();
      await expect(producer.enqueue(sampleEmail())).rejects.toBeInstanceOf(QueueUnavailableError);

      restarted = await startRedisServer([], redis.port);
      await expect(eventually(() => producer.enqueue(sampleEmail()), 10_000)).resolves.toMatchObject({ jobId: expect.any(String) });
    } finally {
      await producer.close();
      await restarted?.stop();
    }
  });
});
