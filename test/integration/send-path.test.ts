// The core send path end to end: real Redis, real BullMQ worker, real MSAL and Graph SDK, the fx.simulator.
import { accountDocument, sampleEmail, userDocument, type TestPipeline, usePipelineFixture } from '../support/test-pipeline';

const fx = usePipelineFixture();
let pipeline: TestPipeline;

const documents = {
  accounts: [accountDocument('acc-1')],
  users: [
    userDocument('anna', 'acc-1', 'anna@contoso.example'),
    userDocument('bob', 'acc-1', undefined),
    userDocument('carl', 'acc-1', 'carl@contoso.example', 'smtp'),
  ],
};

describe('sending', () => {
  it('sends as the account, records the delivery with Graph request-id and correlation', async () => {
    pipeline = await fx.start({ documents });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(jobId);

    expect(end).toMatchObject({ state: 'completed', result: { status: 'sent', sender: 'info@contoso.example', senderSource: 'account' } });
    expect(fx.simulator.sent).toHaveLength(1);
    const [message] = fx.simulator.sent;
    expect(message).toMatchObject({ mailbox: 'info@contoso.example', saveToSentItems: true });
    expect(message?.message).toMatchObject({
      subject: 'Invoice 1042',
      toRecipients: [{ emailAddress: { address: 'customer@example.com', name: 'Customer' } }],
    });

    const [record] = await pipeline.deliveries.find({ jobId });
    expect(record).toMatchObject({
      status: 'sent',
      attempts: 1,
      sender: 'info@contoso.example',
      senderSource: 'account',
      recipientCount: 1,
      correlation: { documentType: 'invoice', documentId: '1042' },
      graphRequestId: message?.requestId,
      clientRequestId: message?.clientRequestId,
      possibleDuplicate: false,
    });
    expect(record?.sentAt).toBeInstanceOf(Date);
    expect(record?.error).toBeUndefined();
  });

  it("sends as a user with the account's credentials when the user has a Graph sender", async () => {
    pipeline = await fx.start({ documents });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail({ userId: 'anna' }));
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({
      state: 'completed',
      result: { sender: 'anna@contoso.example', senderSource: 'user' },
    });
    expect(fx.simulator.sent.map((m) => m.mailbox)).toEqual(['anna@contoso.example']);
  });

  it.each([
    ['bob', 'has no Sender e-mail'],
    ['carl', 'does not use Microsoft Graph'],
  ])('falls back to the account sender for user %s and records why', async (userId, why) => {
    pipeline = await fx.start({ documents });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail({ userId }));
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({
      state: 'completed',
      result: { sender: 'info@contoso.example', senderSource: 'account' },
    });
    const [record] = await pipeline.deliveries.find({ jobId });
    expect(record?.senderFallbackReason).toContain(why);
  });

  it("never sends as a user whose Sender e-mail is outside the account's allowed sender domains", async () => {
    pipeline = await fx.start({
      documents: {
        accounts: [accountDocument('acc-1', { allowedSenderDomains: ['contoso.example'] })],
        users: [userDocument('anna', 'acc-1', 'anna@contoso.example'), userDocument('eve', 'acc-1', 'ceo@fabrikam.example')],
      },
    });
    const [outside, inside] = await pipeline.producer.enqueueMany([sampleEmail({ userId: 'eve' }), sampleEmail({ userId: 'anna' })]);
    expect(await pipeline.waitForEnd(outside!.jobId)).toMatchObject({
      state: 'completed',
      result: { sender: 'info@contoso.example', senderSource: 'account' },
    });
    expect(await pipeline.waitForEnd(inside!.jobId)).toMatchObject({ state: 'completed', result: { senderSource: 'user' } });
    const [record] = await pipeline.deliveries.find({ jobId: outside!.jobId });
    expect(record).toMatchObject({ sender: 'info@contoso.example', senderSource: 'account', senderFallbackReason: 'sender-not-allowed' });
    expect(fx.simulator.sent.map((m) => m.mailbox).sort()).toEqual(['anna@contoso.example', 'info@contoso.example']);
  });

  it('shares one token request between many concurrent first sends for one credential set', async () => {
    pipeline = await fx.start({ documents });
    const jobs = await pipeline.producer.enqueueMany(Array.from({ length: 25 }, (_, i) => sampleEmail({ subject: `Mail ${i}` })));
    const ends = await Promise.all(jobs.map(({ jobId }) => pipeline.waitForEnd(jobId)));
    expect(ends.every((end) => end.state === 'completed')).toBe(true);
    expect(fx.simulator.sent).toHaveLength(25);
    expect(fx.simulator.stats.tokenRequests).toBe(1);
    expect(pipeline.runtime.tokens.tokenRequests).toBe(1);
  });

  it('sends a scheduled e-mail no sooner than its sendAt', async () => {
    pipeline = await fx.start({ documents });
    const sendAt = new Date(Date.now() + 1500);
    const { jobId } = await pipeline.producer.enqueue(sampleEmail({ sendAt: sendAt.toISOString() }));
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent[0]?.receivedAt).toBeGreaterThanOrEqual(sendAt.getTime());
  });
});

describe('validation at enqueue', () => {
  it('refuses a bad payload with every bad field named, and queues nothing', async () => {
    pipeline = await fx.start({ documents });
    await expect(
      pipeline.producer.enqueue(sampleEmail({ to: [{ address: 'nobody' }], subject: undefined as unknown as string })),
    ).rejects.toThrow(/Invalid e-mail job: .*to\[0\]\.address: must be an e-mail address.*subject:/);
    await expect(pipeline.producer.enqueueMany([sampleEmail(), sampleEmail({ to: [] })])).rejects.toThrow(
      /\[1\]\.to: to, cc and bcc together must hold 1 to 500/,
    );
    expect(await pipeline.queue.getJobCounts()).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: 0 });
  });
});

describe('size limit at enqueue', () => {
  it('refuses an e-mail whose Graph request would exceed 4 MB, naming attachments', async () => {
    pipeline = await fx.start({ documents });
    const big = { name: 'scan.pdf', contentType: 'application/pdf', contentBase64: Buffer.alloc(3_100_000, 7).toString('base64') };
    await expect(pipeline.producer.enqueue(sampleEmail({ attachments: [big] }))).rejects.toThrow(
      /attachments: the Graph sendMail request would be 4\.\d MB/,
    );
    expect(await pipeline.queue.getJobCounts()).toMatchObject({ waiting: 0 });
  });
});
