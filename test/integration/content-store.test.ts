// Message content out of Redis, end to end: the producer writes content to the payload store, the job
// holds a reference, the worker reads and checks it, and no finished job keeps a body or attachment bytes.
import { Readable } from 'node:stream';
import { readdirSync } from 'node:fs';
import { sha256Hex, newPayloadId, payloadIdOf, createEmailProducer, type DirectoryPayloadStore } from '@omikai/graph-mailer-client';
import { cancelEmailJob } from '../../src/ops/cancel-email-jobs';
import { ORPHAN_GRACE_MS, shouldRemovePayload, sweepPayloads } from '../../src/content/content-sweeper';
import { freePort } from '../../tools/redis/throwaway-redis';
import { sampleEmail, type TestPipeline, usePipelineFixture } from '../support/test-pipeline';
import { until } from '../../tools/until';

const fx = usePipelineFixture();
let pipeline: TestPipeline;

const pdf = (bytes: number, seed = 1) => Buffer.alloc(bytes, seed);
const withAttachment = (data: Buffer, extra: Record<string, unknown> = {}) =>
  sampleEmail({ attachments: [{ name: 'invoice.pdf', contentType: 'application/pdf', contentBase64: data.toString('base64') }], ...extra });

async function rawData(jobId: string): Promise<string> {
  return (await pipeline.connection.hget(`bull:${pipeline.queueName}:${jobId}`, 'data')) ?? '';
}

const payloadFiles = () => readdirSync((pipeline.payloads.inner as DirectoryPayloadStore).directory).filter((f) => f.endsWith('.json'));

/** The attachment bytes Graph received for the one sent message. */
function sentAttachment(index = 0): Buffer {
  const message = fx.simulator.sent[index]?.message as { attachments?: { contentBytes: string }[] };
  return Buffer.from(message.attachments?.[0]?.contentBytes ?? '', 'base64');
}

describe('content in the payload store', () => {
  it('an e-mail with a 100 KB attachment is queued as a reference, sent whole, and leaves no content behind', async () => {
    pipeline = await fx.start();
    await pipeline.queue.pause();
    const attachment = pdf(100_000, 7);
    const { jobId } = await pipeline.producer.enqueue(withAttachment(attachment));

    const waiting = JSON.parse(await rawData(jobId)) as Record<string, unknown>;
    expect(waiting).toMatchObject({
      schemaVersion: 2,
      content: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), attachments: [{ name: 'invoice.pdf', bytes: 100_000 }] },
    });
    expect(waiting).not.toHaveProperty('html');
    expect((await rawData(jobId)).length).toBeLessThan(2048);
    expect(payloadFiles()).toHaveLength(1);

    await pipeline.queue.resume();
    const end = await pipeline.waitForEnd(jobId);
    expect(end).toMatchObject({ state: 'completed', result: { status: 'sent' } });
    expect(sentAttachment().equals(attachment)).toBe(true);
    expect((fx.simulator.sent[0]?.message as { body: { content: string } }).body.content).toBe(sampleEmail().html);
    // Removal is batched (a few ms): the payload goes, the job keeps only the metadata people need.
    await until(() => payloadFiles().length === 0);
    expect(await rawData(jobId)).not.toContain(attachment.toString('base64').slice(0, 64));
  });

  it('attachments given as a Buffer or a stream are sent as given', async () => {
    pipeline = await fx.start();
    const fromBuffer = pdf(40_000, 3);
    const fromStream = pdf(50_000, 4);
    const { jobId } = await pipeline.producer.enqueue({
      ...sampleEmail(),
      attachments: [
        { name: 'a.pdf', contentType: 'application/pdf', content: fromBuffer },
        {
          name: 'b.pdf',
          contentType: 'application/pdf',
          content: Readable.from([fromStream.subarray(0, 20_000), fromStream.subarray(20_000)]),
        },
      ],
    });
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });
    const message = fx.simulator.sent[0]?.message as { attachments: { name: string; contentBytes: string }[] };
    expect(message.attachments.map((a) => [a.name, Buffer.from(a.contentBytes, 'base64').length])).toEqual([
      ['a.pdf', 40_000],
      ['b.pdf', 50_000],
    ]);
    expect(Buffer.from(message.attachments[1]!.contentBytes, 'base64').equals(fromStream)).toBe(true);
  });

  it('a small e-mail stays inline, and after it is sent its job holds no body', async () => {
    pipeline = await fx.start();
    const { jobId } = await pipeline.producer.enqueue(sampleEmail({ html: '<p>secret body text</p>' }));
    expect(payloadFiles()).toHaveLength(0);
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });
    const data = await rawData(jobId);
    expect(data).not.toContain('secret body text');
    expect(JSON.parse(data)).toMatchObject({ subject: 'Invoice 1042', content: { removed: true, htmlBytes: 23 } });
  });

  it('a repeat enqueue with the same idempotency key writes no second payload', async () => {
    pipeline = await fx.start();
    await pipeline.queue.pause();
    const email = withAttachment(pdf(30_000), { idempotencyKey: 'invoice-1042' });
    const first = await pipeline.producer.enqueue(email);
    const second = await pipeline.producer.enqueue(email);
    const [third] = await pipeline.producer.enqueueMany([email]);
    expect([second.jobId, third?.jobId]).toEqual([first.jobId, first.jobId]);
    expect(payloadFiles()).toHaveLength(1);
  });

  it('the payload written is removed when the job cannot be added', async () => {
    pipeline = await fx.start();
    const producer = createEmailProducer({
      connection: { url: `redis://127.0.0.1:${await freePort()}`, retryStrategy: () => 100 },
      enqueueTimeoutMs: 500,
      payloads: pipeline.payloads,
    });
    try {
      await expect(producer.enqueue(withAttachment(pdf(30_000)))).rejects.toThrow(/Redis did not accept/);
      expect(payloadFiles()).toHaveLength(0);
    } finally {
      await producer.close();
    }
  });

  it('missing content, content of another account, and content that does not match its sha256 fail for good, naming the job', async () => {
    pipeline = await fx.start();
    const data = Buffer.from('<p>hello</p>');
    const metadata = (accountId: string) => ({
      accountId,
      queueName: pipeline.queueName,
      jobId: 'x',
      bytes: data.length,
      sha256: sha256Hex(data),
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const otherAccount = newPayloadId();
    await pipeline.payloads.write(otherAccount, metadata('acc-2'), data);
    const tampered = newPayloadId();
    await pipeline.payloads.write(tampered, metadata('acc-1'), Buffer.from('<p>HELLO</p>'));
    const { html: _html, ...envelope } = sampleEmail();
    const reference = (id: string) => ({
      ...envelope,
      schemaVersion: 2,
      content: { id, sha256: sha256Hex(data), bytes: data.length, htmlBytes: data.length },
    });

    const jobs = await Promise.all(
      [newPayloadId(), otherAccount, tampered].map((id) => pipeline.queue.add('send-email', reference(id) as never)),
    );
    const ends = await Promise.all(jobs.map((job) => pipeline.waitForEnd(job.id!)));
    expect(ends.map((end) => end.state)).toEqual(['failed', 'failed', 'failed']);
    const reasons = ends.map((end) => (end.state === 'failed' ? end.reason : ''));
    expect(reasons[0]).toMatch(new RegExp(`^\\[content-missing\\] The content of job ${jobs[0]!.id}`));
    expect(reasons[1]).toMatch(/^\[content-missing\] .*belongs to another account.*enqueue the e-mail again/);
    expect(reasons[2]).toMatch(/^\[content-corrupt\] .*sha256/);
    expect(ends.map((end) => end.job.attemptsMade)).toEqual([1, 1, 1]);
    expect(fx.simulator.sent).toHaveLength(0);
  });

  it('while the payload store is unreachable the job waits, using no attempt, and is sent once it is back', async () => {
    pipeline = await fx.start({ attempts: 1 });
    await pipeline.queue.pause();
    const { jobId } = await pipeline.producer.enqueue(withAttachment(pdf(30_000)));
    pipeline.payloads.down = true;
    await pipeline.queue.resume();
    await until(() => pipeline.payloads.failedCalls >= 2);
    expect(await pipeline.queue.getJobState(jobId)).toMatch(/delayed|active|waiting/);
    pipeline.payloads.down = false;
    expect(await pipeline.waitForEnd(jobId, 60_000)).toMatchObject({ state: 'completed', result: { status: 'sent' } });
  }, 70_000);

  it("another client's inline job that has to retry is moved to the store, and a job failed for good keeps a reference a retry sends from", async () => {
    pipeline = await fx.start({ attempts: 2 });
    const attachment = pdf(60_000, 9);
    const inline = { ...withAttachment(attachment), schemaVersion: 1, saveToSentItems: true };
    fx.simulator.inject({ on: 'sendMail', kind: 'status', status: 503, times: 2 });
    const job = await pipeline.queue.add('send-email', inline as never, { attempts: 2, backoff: { type: 'graph' } });
    const end = await pipeline.waitForEnd(job.id!);
    expect(end.state).toBe('failed');
    const failedData = await rawData(job.id!);
    expect(failedData).not.toContain(attachment.toString('base64').slice(0, 64));
    const payloadId = payloadIdOf(JSON.parse(failedData));
    expect(payloadId).toMatch(/^[0-9a-f]{24}$/);
    // Kept as long as the failed job can be retried (14 days) plus a margin.
    const kept = await pipeline.payloads.open(payloadId!);
    expect(kept!.metadata.expiresAt.getTime()).toBeGreaterThan(Date.now() + 14 * 86_400_000);

    await end.job.retry('failed');
    expect(await pipeline.waitForEnd(job.id!)).toMatchObject({ state: 'completed', result: { status: 'sent' } });
    expect(sentAttachment().equals(attachment)).toBe(true);
    await until(() => payloadFiles().length === 0);
  });

  it('cancelling a queued e-mail removes its content too', async () => {
    pipeline = await fx.start();
    await pipeline.queue.pause();
    const { jobId } = await pipeline.producer.enqueue(withAttachment(pdf(30_000)));
    expect(payloadFiles()).toHaveLength(1);
    const result = await cancelEmailJob(pipeline.queue, pipeline.deliveries, jobId, {
      dryRun: false,
      by: 'test',
      now: Date.now,
      payloads: pipeline.payloads,
    });
    expect(result.outcome).toBe('cancelled');
    expect(payloadFiles()).toHaveLength(0);
  });
});

describe('the content sweeper', () => {
  const payload = (expiresInMs: number) => ({
    id: 'aaaaaaaaaaaaaaaaaaaaaaaa',
    metadata: {
      accountId: 'acc-1',
      queueName: 'q',
      jobId: 'email-1',
      bytes: 1,
      sha256: '',
      createdAt: new Date(0),
      expiresAt: new Date(1_000_000 + expiresInMs),
    },
  });
  const job = (state: 'waiting' | 'delayed' | 'active' | 'completed' | 'failed', finishedOn?: number) => ({
    state,
    payloadId: 'aaaaaaaaaaaaaaaaaaaaaaaa',
    finishedOn,
  });

  it('removes orphans and expired content of finished jobs, never content a job may still send', () => {
    const now = 1_000_000;
    expect(shouldRemovePayload({ payload: payload(1000) }, now, 0)).toBe(true); // the job is gone
    expect(shouldRemovePayload({ payload: payload(1000), job: { ...job('waiting'), payloadId: 'b'.repeat(24) } }, now, 0)).toBe(true);
    for (const state of ['waiting', 'delayed', 'active'] as const) {
      expect(shouldRemovePayload({ payload: payload(-1000), job: job(state) }, now, 0)).toBe(false);
    }
    expect(shouldRemovePayload({ payload: payload(1000), job: job('completed', now - 10) }, now, 0)).toBe(true);
    expect(shouldRemovePayload({ payload: payload(1000), job: job('completed', now - 10) }, now, 60_000)).toBe(false);
    expect(shouldRemovePayload({ payload: payload(1000), job: job('failed', now - 10) }, now, 0)).toBe(false);
    expect(shouldRemovePayload({ payload: payload(-1), job: job('failed', now - 10) }, now, 0)).toBe(true);
    // A payload whose job was never recorded goes only when it expires.
    const unrecorded = (expiresInMs: number) => ({ ...payload(expiresInMs), metadata: { ...payload(expiresInMs).metadata, jobId: '' } });
    expect(shouldRemovePayload({ payload: unrecorded(1000) }, now, 0)).toBe(false);
    expect(shouldRemovePayload({ payload: unrecorded(-1) }, now, 0)).toBe(true);
  });

  it('one pass removes the payloads of missing jobs older than the grace, and keeps those of waiting jobs', async () => {
    pipeline = await fx.start();
    await pipeline.queue.pause();
    const { jobId } = await pipeline.producer.enqueue(withAttachment(pdf(30_000)));
    const orphan = newPayloadId();
    const data = Buffer.from('orphan');
    const at = new Date();
    await pipeline.payloads.write(
      orphan,
      { accountId: 'acc-1', queueName: pipeline.queueName, jobId: 'gone', bytes: 6, sha256: sha256Hex(data), createdAt: at, expiresAt: at },
      data,
    );
    const otherQueue = newPayloadId();
    await pipeline.payloads.write(
      otherQueue,
      { accountId: 'acc-1', queueName: 'another-queue', jobId: 'gone', bytes: 6, sha256: sha256Hex(data), createdAt: at, expiresAt: at },
      data,
    );
    const later = () => Date.now() + ORPHAN_GRACE_MS + 1000;
    const report = await sweepPayloads({ payloads: pipeline.payloads, queue: pipeline.queue, retentionAfterSentMs: 0, now: later });
    expect(report).toEqual({ looked: 2, removed: 1 });
    expect(await pipeline.payloads.open(orphan)).toBeUndefined();
    expect(await pipeline.payloads.open(otherQueue)).toBeDefined();
    expect(await pipeline.payloads.open(payloadIdOf(JSON.parse(await rawData(jobId)))!)).toBeDefined();
  });
});
