// The producer's size check per account: one producer serves accounts with different maximum send sizes.
import { randomBytes, randomUUID } from 'node:crypto';
import { createEmailProducer, EmailJobValidationError, type EmailProducer } from '@omikai/graph-mailer-client';

const MB = 1024 * 1024;
const email = () => ({
  accountId: 'acc-1',
  to: [{ address: 'customer@example.com' }],
  subject: 'Drawing',
  html: '<p>Attached.</p>',
  attachments: [{ name: 'drawing.pdf', contentType: 'application/pdf', contentBase64: randomBytes(5 * MB).toString('base64') }],
});

let producer: EmailProducer;
afterEach(async () => {
  await producer.queue.obliterate({ force: true });
  await producer.close();
});

function producerWith(maxMessageBytes?: number): EmailProducer {
  producer = createEmailProducer({
    connection: { url: process.env.REDIS_URL! },
    queueName: `test-${randomUUID()}`,
    enqueueTimeoutMs: 30_000,
    ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}),
  });
  return producer;
}

describe("enqueue's maxMessageBytes: the account's maximum send size for this e-mail", () => {
  it('takes a 5 MB e-mail for an account whose limit allows it, and refuses it under the default 4 MB', async () => {
    const p = producerWith();
    await expect(p.enqueue(email())).rejects.toBeInstanceOf(EmailJobValidationError);
    const { jobId } = await p.enqueue(email(), { maxMessageBytes: 35 * MB });
    expect(await p.queue.getJob(jobId)).toBeDefined();
  });

  it("a smaller per-call limit wins over the producer's, for enqueue and enqueueMany", async () => {
    const p = producerWith(40 * MB);
    await expect(p.enqueue(email(), { maxMessageBytes: 4 * MB })).rejects.toThrow(/the limit is 4\.\d MB/);
    await expect(p.enqueueMany([email()], { maxMessageBytes: 4 * MB })).rejects.toBeInstanceOf(EmailJobValidationError);
    expect(await p.queue.count()).toBe(0);
    await expect(p.enqueueMany([email()])).resolves.toHaveLength(1);
  });
});
