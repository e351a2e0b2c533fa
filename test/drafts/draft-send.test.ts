// Draft-based sending through the real pipeline (Redis, BullMQ, MSAL, the simulator's Graph and upload hosts).
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createEmailProducer, payloadIdOf, type AttachmentInput, type DirectoryPayloadStore } from '@omikai/graph-mailer-client';
import { ensureSimulatorCertificate, DEFAULT_TLS_DIR } from '../../tools/graph-simulator/tls';
import { CLIENT_SEND_ONLY, accountDocument, sampleEmail, type TestPipeline, usePipelineFixture } from '../support/test-pipeline';
import { until } from '../../tools/until';

const fx = usePipelineFixture();
let pipeline: TestPipeline;

const MB = 1024 * 1024;
const draftEnv = () => ({
  MS_UPLOAD_BASE_URL: fx.simulator.uploadUrl,
  DRAFT_CONFIRM_WINDOW_MS: '3000',
  DRAFT_CONFIRM_INTERVAL_MS: '100',
});
const documentsWith = (graph: Record<string, unknown>) => ({ accounts: [accountDocument('acc-1', graph)], users: [] });

function file(name: string, bytes: Buffer) {
  return { name, contentType: 'application/pdf', contentBase64: bytes.toString('base64') };
}
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function enqueueLarge(p: TestPipeline, attachments: ReturnType<typeof file>[]) {
  const producer = createEmailProducer({
    connection: { url: process.env.REDIS_URL! },
    queueName: p.queueName,
    maxMessageBytes: 40 * MB,
    jobOptions: { attempts: 5 },
  });
  try {
    return await producer.enqueue(sampleEmail({ attachments }));
  } finally {
    await producer.close();
  }
}

describe('draft mode', () => {
  it('sends a 5 MB file through an upload session and a small one by POST, with the message ids on the record', async () => {
    pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft' }), env: draftEnv() });
    const large = randomBytes(5 * MB + 17);
    const small = randomBytes(1000);
    const { jobId } = await enqueueLarge(pipeline, [file('large.pdf', large), file('small.pdf', small)]);
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', result: { status: 'sent' } });

    expect(fx.simulator.sent).toHaveLength(1);
    const [sent] = fx.simulator.sent;
    expect(sent).toMatchObject({ via: 'draft', mailbox: 'info@contoso.example' });
    expect((sent?.message as { attachments: unknown[] }).attachments).toEqual([
      { name: 'large.pdf', size: large.length, sha256: sha256(large), via: 'upload-session' },
      { name: 'small.pdf', size: small.length, sha256: sha256(small), via: 'post' },
    ]);
    const { stats } = fx.simulator;
    expect(stats).toMatchObject({ uploadAuthorizationHeaders: 0, uploadRangeErrors: 0, callsWithoutImmutableId: 0, draftsCreated: 1 });
    const [record] = await pipeline.deliveries.find({ jobId });
    const stored = [...fx.simulator.items.messages.values()][0];
    expect(record).toMatchObject({
      status: 'sent',
      possibleDuplicate: false,
      graphMessageId: stored?.id,
      internetMessageId: sent?.internetMessageId,
    });
    expect(stored).toMatchObject({ folder: 'sentitems', isDraft: false });
    // The job's progress names the draft but holds no upload URL.
    const progress = JSON.stringify((await pipeline.queue.getJob(jobId))?.progress ?? {});
    expect(progress).not.toContain('authtoken');
    expect(progress).not.toContain(fx.simulator.uploadUrl);
  });

  it('auto sends a small e-mail with sendMail and a large one through a draft', async () => {
    pipeline = await fx.start({ documents: documentsWith({ sendMode: 'auto' }), env: draftEnv() });
    const small = await pipeline.producer.enqueue(sampleEmail({ attachments: [file('a.pdf', randomBytes(1000))] }));
    expect(await pipeline.waitForEnd(small.jobId)).toMatchObject({ state: 'completed' });
    const large = await enqueueLarge(pipeline, [file('b.pdf', randomBytes(4 * MB))]);
    expect(await pipeline.waitForEnd(large.jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent.map((m) => m.via ?? 'sendMail')).toEqual(['sendMail', 'draft']);
    expect(fx.simulator.stats.draftsCreated).toBe(1);
  });

  it('a 504 after send is resolved to sent by finding the Sent Items copy: no second send, no flag', async () => {
    pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft' }), env: draftEnv() });
    fx.simulator.setSentCopyDelayMs(400);
    fx.simulator.inject({ on: 'send', kind: 'accept-then-504' });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(jobId);
    expect(end).toMatchObject({ state: 'completed', result: { status: 'sent' } });
    expect(fx.simulator.stats.draftsSent).toBe(1);
    const [record] = await pipeline.deliveries.find({ jobId });
    expect(record).toMatchObject({ status: 'sent', possibleDuplicate: false, attempts: 1 });
    fx.simulator.setSentCopyDelayMs(0);
  });

  it('a sent copy slower than the window: flagged as unknown, and the retry finds it instead of sending again', async () => {
    pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft' }), env: { ...draftEnv(), DRAFT_CONFIRM_WINDOW_MS: '1500' } });
    // The first attempt gives up after 1.5 s; the retry looks again for at least 1.5 s more.
    fx.simulator.setSentCopyDelayMs(2000);
    fx.simulator.inject({ on: 'send', kind: 'accept-then-reset' });
    try {
      const { jobId } = await pipeline.producer.enqueue(sampleEmail());
      expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });
      expect(fx.simulator.stats.draftsSent).toBe(1);
      const [record] = await pipeline.deliveries.find({ jobId });
      expect(record).toMatchObject({ status: 'sent', attempts: 2, possibleDuplicate: true });
    } finally {
      fx.simulator.setSentCopyDelayMs(0);
    }
  });

  it("paces a mailbox's large e-mails by Outlook's upload budget: the second waits for the window, using no attempt", async () => {
    const env = { ...draftEnv(), FLOW_UPLOAD_BYTES_PER_WINDOW: String(8 * MB), FLOW_UPLOAD_WINDOW_MS: '60000' };
    pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft' }), env });
    // Each is about 5.6 MB encoded: only one fits into 8 MB per window.
    const first = await enqueueLarge(pipeline, [file('a.pdf', randomBytes(4 * MB))]);
    expect(await pipeline.waitForEnd(first.jobId)).toMatchObject({ state: 'completed' });
    const second = await enqueueLarge(pipeline, [file('b.pdf', randomBytes(4 * MB))]);
    await until(async () => (await pipeline.queue.getJobState(second.jobId)) === 'delayed');
    const waiting = await pipeline.queue.getJob(second.jobId);
    expect(waiting?.attemptsMade).toBe(0);
    expect(waiting!.timestamp + waiting!.delay).toBeGreaterThan(Date.now() + 30_000);
    expect(fx.simulator.stats).toMatchObject({ draftsCreated: 1, draftsSent: 1 });
  });

  it('a reset mid-upload resumes from nextExpectedRanges; an expired session is replaced', async () => {
    pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft' }), env: draftEnv() });
    const bytes = randomBytes(9 * MB);
    fx.simulator.inject({ on: 'upload', kind: 'reset-mid-upload' });
    const first = await enqueueLarge(pipeline, [file('a.pdf', bytes)]);
    expect(await pipeline.waitForEnd(first.jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.stats.uploadResets).toBe(1);

    fx.simulator.inject({ on: 'upload', kind: 'expire-session' });
    const second = await enqueueLarge(pipeline, [file('b.pdf', bytes)]);
    expect(await pipeline.waitForEnd(second.jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.stats.uploadSessions).toBe(3);
    for (const sent of fx.simulator.sent) {
      expect((sent.message as { attachments: { sha256: string }[] }).attachments[0]?.sha256).toBe(sha256(bytes));
    }
    expect(fx.simulator.stats).toMatchObject({ draftsCreated: 2, draftsSent: 2, uploadRangeErrors: 0 });
  });

  it('a 429 on draft creation is retried after Retry-After and creates one draft', async () => {
    pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft' }), env: draftEnv() });
    fx.simulator.inject({ on: 'createDraft', kind: 'status', status: 429, retryAfter: '1' });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.stats).toMatchObject({ draftsCreated: 1, draftsSent: 1 });
  });

  it('a draft deleted by a person before send is replaced by a new one on the next attempt', async () => {
    pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft' }), env: draftEnv() });
    fx.simulator.inject({
      on: 'send',
      kind: 'status',
      status: 404,
      code: 'ErrorItemNotFound',
      message: 'The specified object was not found in the store.',
    });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(jobId);
    expect(end).toMatchObject({ state: 'completed' });
    expect((end.job.stacktrace ?? []).join('\n') + pipeline.logs()).toMatch(/was deleted in info@contoso\.example's mailbox/);
    expect(fx.simulator.stats).toMatchObject({ draftsCreated: 2, draftsSent: 1 });
  });

  it('without Mail.ReadWrite the job fails at once with the permission reason naming it', async () => {
    pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft', ...CLIENT_SEND_ONLY }), env: draftEnv() });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(jobId);
    expect(end.state).toBe('failed');
    expect(end.state === 'failed' && end.reason).toMatch(
      /^\[permission\] The app may not create drafts in info@contoso\.example: .*Mail\.ReadWrite/,
    );
    const [record] = await pipeline.deliveries.find({ jobId });
    expect(record?.error).toMatchObject({ category: 'permission', code: 'MailReadWriteMissing' });
    expect(record?.error?.procedure).toContain('Application Mail.ReadWrite');
  });

  it('an e-mail over the account maximum send size fails as too-large naming Set-Mailbox -MaxSendSize', async () => {
    pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft', maxSendSizeMb: 5 }), env: draftEnv() });
    const { jobId } = await enqueueLarge(pipeline, [file('a.pdf', randomBytes(4 * MB))]);
    const end = await pipeline.waitForEnd(jobId);
    expect(end.state === 'failed' && end.reason).toMatch(/^\[too-large\] .*Set-Mailbox -MaxSendSize/);
    expect(fx.simulator.stats.draftRequests).toBe(0);
  });

  it('draft mode in a cloud without upload sessions is refused with a settings reason', async () => {
    pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft', cloud: 'usgov' }), env: draftEnv() });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(jobId);
    expect(end.state === 'failed' && end.reason).toMatch(/^\[settings\] .*usgov cloud offers no attachment upload sessions/);
  });

  describe('content in the payload store', () => {
    async function enqueueStored(p: TestPipeline, attachments: AttachmentInput[]) {
      const producer = createEmailProducer({
        connection: { url: process.env.REDIS_URL! },
        queueName: p.queueName,
        maxMessageBytes: 40 * MB,
        jobOptions: { attempts: 5 },
        payloads: p.payloads,
      });
      try {
        return await producer.enqueue({ ...sampleEmail(), attachments });
      } finally {
        await producer.close();
      }
    }
    const storedBin = (p: TestPipeline, jobData: unknown) =>
      join((p.payloads.inner as DirectoryPayloadStore).directory, `${payloadIdOf(jobData)!}.bin`);

    it('a stored e-mail (its 9 MB file given as a stream) is sent through a draft from the store: Graph receives the files with matching sha256', async () => {
      pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft' }), env: draftEnv() });
      await pipeline.queue.pause();
      const large = randomBytes(9 * MB + 5);
      const small = randomBytes(2000);
      // The large file as a stream of 1 MB pieces: over sendMail's 4 MB, taken because maxMessageBytes allows it.
      const pieces = Array.from({ length: Math.ceil(large.length / MB) }, (_, i) => large.subarray(i * MB, (i + 1) * MB));
      const { jobId } = await enqueueStored(pipeline, [
        { name: 'large.pdf', contentType: 'application/pdf', content: Readable.from(pieces) },
        file('small.pdf', small),
      ]);
      const waiting = (await pipeline.queue.getJob(jobId))!.data as Record<string, unknown>;
      expect(payloadIdOf(waiting)).toMatch(/^[0-9a-f]{24}$/);
      expect(waiting).not.toHaveProperty('attachments');
      await pipeline.queue.resume();

      expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', result: { status: 'sent' } });
      expect(fx.simulator.sent).toHaveLength(1);
      const [sent] = fx.simulator.sent;
      expect(sent).toMatchObject({ via: 'draft' });
      expect((sent?.message as { attachments: unknown[] }).attachments).toEqual([
        { name: 'large.pdf', size: large.length, sha256: sha256(large), via: 'upload-session' },
        { name: 'small.pdf', size: small.length, sha256: sha256(small), via: 'post' },
      ]);
      expect((sent?.message as { body?: { content?: string } }).body?.content).toBe(sampleEmail().html);
    });

    it('a stored file whose bytes no longer match the sha256 is uploaded but never sent: [content-corrupt], the draft deleted', async () => {
      pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft' }), env: draftEnv() });
      await pipeline.queue.pause();
      const large = randomBytes(4 * MB);
      const { jobId } = await enqueueStored(pipeline, [file('large.pdf', large)]);
      // The same length, one byte changed near the end: only the streamed hash can tell.
      const path = storedBin(pipeline, (await pipeline.queue.getJob(jobId))!.data);
      const bytes = readFileSync(path);
      bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
      writeFileSync(path, bytes);
      await pipeline.queue.resume();

      const end = await pipeline.waitForEnd(jobId);
      expect(end.state === 'failed' && end.reason).toMatch(/^\[content-corrupt\] .*sha256/);
      expect(end.job.attemptsMade).toBe(1);
      expect(fx.simulator.sent).toHaveLength(0);
      expect(fx.simulator.stats).toMatchObject({ draftsCreated: 1, draftsSent: 0, draftsDeleted: 1 });
    });
  });

  describe('an upload URL on another host', () => {
    let foreign: Server;
    const seen: { authorization?: string; url?: string }[] = [];
    beforeAll(async () => {
      const certificate = await ensureSimulatorCertificate(DEFAULT_TLS_DIR);
      foreign = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
        seen.push({
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          ...(req.url ? { url: req.url } : {}),
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"nextExpectedRanges":["0-"]}');
      });
      await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => foreign.close(() => resolve())));

    it('is refused: neither the token nor a byte reaches it, and the draft is deleted', async () => {
      pipeline = await fx.start({ documents: documentsWith({ sendMode: 'draft' }), env: draftEnv() });
      fx.simulator.setUploadUrlBase(`https://localhost:${(foreign.address() as AddressInfo).port}`);
      try {
        const { jobId } = await enqueueLarge(pipeline, [file('a.pdf', randomBytes(4 * MB))]);
        const end = await pipeline.waitForEnd(jobId);
        expect(end.state === 'failed' && end.reason).toMatch(/Refused to upload the attachment: the upload URL points to localhost:\d+/);
        expect(end.state === 'failed' && end.reason).not.toContain('authtoken');
      } finally {
        fx.simulator.setUploadUrlBase(undefined);
      }
      expect(seen).toEqual([]);
      expect(fx.simulator.stats).toMatchObject({ draftsDeleted: 1, draftsSent: 0, uploadRequests: 0 });
      expect(pipeline.logs()).not.toContain('authtoken');
    });
  });
});
