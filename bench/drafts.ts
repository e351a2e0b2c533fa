// Draft-sending measurements, run once by hand (`npm run bench:drafts`), never by the tests:
//  memory:   the real worker process sends 5 e-mails of 100 MB each (5 mailboxes) at once, their content
//            in the payload store (CONTENT_DIR; Redis holds only the references), the attachments
//            streamed from it into the drafts; its RSS is sampled every 50 ms and the growth over the
//            idle worker is reported (docs/performance.md).
//  uploader: the same 5 × 100 MB through the worker's draft path (sendThroughDraft, its Graph client
//            and https transport) in a child process, with the bytes streamed from a source as the
//            payload store will give them instead of inline base64 in the job; the child's RSS growth.
//  outcomes: lost answers to send (504 and connection reset) with the Sent Items copy appearing after
//            various delays; how many were resolved exactly, flagged, and sent twice (docs/reliability.md).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Job, QueueEvents } from 'bullmq';
import pino from 'pino';
import { resolveCloudEndpoints } from '../src/graph/clouds';
import { GraphDraftClient } from '../src/graph/draft-client';
import { createHttpsFetch } from '../src/graph/https-fetch';
import { MsalTokenProvider } from '../src/graph/token-provider';
import { createEmailProducer, createRedisConnection, DirectoryPayloadStore } from '@omikai/graph-mailer-client';
import { sendThroughDraft, type DraftState } from '../src/sending/draft-send';
import { startGraphSimulator, type GraphSimulator } from '../tools/graph-simulator/graph-simulator';
import { startRedisServer } from '../tools/redis/throwaway-redis';
import { rssBytes, samplePeakRss, spawnProcess } from '../tools/processes';
import { CLIENT, PIPELINE_TENANTS, TENANT_ID, accountDocument, sampleEmail, startTestPipeline } from '../test/support/test-pipeline';

const MB = 1024 * 1024;

/** RSS from the idle baseline to the peak, and what reached the simulator's upload host. */
function memoryFigures(baseline: number, peak: number, simulator: GraphSimulator) {
  return {
    baselineRssMb: +(baseline / MB).toFixed(1),
    peakRssMb: +(peak / MB).toFixed(1),
    rssGrowthMb: +((peak - baseline) / MB).toFixed(1),
    uploadedMb: +(simulator.stats.uploadBytes / MB).toFixed(1),
    uploadRequests: simulator.stats.uploadRequests,
    uploadAuthorizationHeaders: simulator.stats.uploadAuthorizationHeaders,
  };
}

async function measureMemory(simulator: GraphSimulator, redisUrl: string, fileMb: number, mailboxes: number) {
  const dir = await mkdtemp(join(tmpdir(), 'omikai-bench-drafts-'));
  const accounts = Array.from({ length: mailboxes }, (_, i) =>
    accountDocument(`acc-${i + 1}`, { senderEmail: `sales${i + 1}@contoso.example`, sendMode: 'draft', maxSendSizeMb: 150 }),
  );
  await writeFile(join(dir, 'settings.json'), JSON.stringify({ accounts, users: [] }));
  const queueName = `bench-drafts-${randomUUID()}`;
  const contentDir = join(dir, 'content');
  const worker = spawnProcess({
    entry: join(__dirname, '../workers/email-worker.ts'),
    env: {
      PATH: process.env.PATH,
      NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
      STORE: 'memory',
      SETTINGS_FILE: join(dir, 'settings.json'),
      REDIS_URL: redisUrl,
      EMAIL_QUEUE_NAME: queueName,
      MS_GRAPH_BASE_URL: simulator.url,
      MS_LOGIN_BASE_URL: simulator.url,
      MS_UPLOAD_BASE_URL: simulator.uploadUrl,
      CONTENT_DIR: contentDir,
      WORKER_METRICS_PORT: '0',
      SEND_TIMEOUT_MS: '60000',
      LOG_LEVEL: 'warn',
    },
  });
  const producer = createEmailProducer({
    redis: { kind: 'single', url: redisUrl },
    queueName,
    maxMessageBytes: 145 * MB,
    enqueueTimeoutMs: 120_000,
    payloads: new DirectoryPayloadStore(contentDir),
  });
  // QueueEvents blocks reading events: a connection of its own.
  const eventsConnection = createRedisConnection({ kind: 'single', url: redisUrl }, 'worker');
  const events = new QueueEvents(queueName, { connection: eventsConnection });
  try {
    // A 4 MB draft e-mail from the store first: the worker has loaded everything it needs before the baseline.
    const warmUp = await producer.enqueue({
      ...sampleEmail({ accountId: 'acc-1' }),
      attachments: [{ name: 'warm-up.bin', contentType: 'application/octet-stream', content: Buffer.alloc(4 * MB, 1) }],
    });
    await (await Job.fromId(producer.queue, warmUp.jobId))!.waitUntilFinished(events, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const baseline = await rssBytes(worker.pid);

    const content = Buffer.alloc(fileMb * MB);
    for (let i = 0; i < content.length; i += 4) content.writeUInt32LE((i * 2654435761) >>> 0, i);
    // Enqueued one by one with the queue paused (the producer's memory is this process's, not the
    // worker's), then released at once: the 5 sends run together.
    await producer.queue.pause();
    const jobs = [];
    for (const account of accounts) {
      jobs.push(
        await producer.enqueue({
          ...sampleEmail({ accountId: String(account._id) }),
          attachments: [{ name: 'large.bin', contentType: 'application/octet-stream', content }],
        }),
      );
    }
    // What each job holds in Redis: the reference only, the 100 MB is in the store.
    const redisBytes = await Promise.all(
      jobs.map(async ({ jobId }) => JSON.stringify((await Job.fromId(producer.queue, jobId))!.data).length),
    );
    const sampler = samplePeakRss(worker.pid);
    const started = Date.now();
    await producer.queue.resume();
    const results = await Promise.all(
      jobs.map(async ({ jobId }) => {
        const job = (await Job.fromId(producer.queue, jobId))!;
        return job.waitUntilFinished(events, 600_000).then(
          () => 'sent',
          async () => `failed: ${(await Job.fromId(producer.queue, jobId))?.failedReason}`,
        );
      }),
    );
    const elapsedMs = Date.now() - started;
    const peak = Math.max(baseline, await sampler.stop());
    return {
      emails: mailboxes,
      fileMb,
      results,
      jobDataBytesInRedis: redisBytes,
      elapsedMs,
      ...memoryFigures(baseline, peak, simulator),
    };
  } finally {
    await worker.stop();
    await events.close();
    await eventsConnection.quit();
    await producer.queue.obliterate({ force: true });
    await producer.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** In the child: 5 draft e-mails of `fileMb` each, at once, bytes generated piece by piece. */
async function runUploaderChild(): Promise<void> {
  const graphUrl = process.env.BENCH_GRAPH_URL!;
  const fileBytes = Number(process.env.BENCH_FILE_MB) * MB;
  const logger = pino({ level: 'silent' });
  const cloud = resolveCloudEndpoints('global', { loginBaseUrl: graphUrl, graphBaseUrl: graphUrl });
  const tokens = new MsalTokenProvider({ cloud, logger, timeoutMs: 60_000 });
  const graph = new GraphDraftClient({ graphBaseUrl: graphUrl, timeoutMs: 60_000, fetch: createHttpsFetch({ maxSockets: 20 }) });
  const credentials = { tenantId: TENANT_ID, ...CLIENT };
  const deps = {
    graph,
    uploadOrigin: process.env.BENCH_UPLOAD_URL!,
    confirmWindowMs: 1000,
    confirmIntervalMs: 100,
    now: Date.now,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    logger,
  };
  const source = (sizeBytes: number) => ({
    name: 'large.bin',
    contentType: 'application/octet-stream',
    sizeBytes,
    async *open(fromByte: number) {
      for (let at = fromByte; at < sizeBytes; at += MB) yield Buffer.alloc(Math.min(MB, sizeBytes - at), at & 0xff);
    },
  });
  const send = (mailbox: string, sizeBytes: number) => {
    let state: DraftState | undefined;
    return sendThroughDraft(deps, {
      jobId: randomUUID(),
      route: { sender: mailbox, credentials },
      accessToken: async () => (await tokens.getAccessToken(credentials)).accessToken,
      clientRequestId: randomUUID(),
      message: {
        subject: 'bench',
        body: { contentType: 'Text', content: 'bench' },
        toRecipients: [{ emailAddress: { address: 'x@example.com' } }],
      },
      attachments: [source(sizeBytes)],
      progress: { current: () => state, save: async (next) => void (state = next) },
    });
  };
  await send('info@contoso.example', 4 * MB); // warm-up: everything loaded before the baseline
  process.send!('ready');
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const outcomes = await Promise.all([1, 2, 3, 4, 5].map((n) => send(`sales${n}@contoso.example`, fileBytes)));
  process.send!(outcomes.map((outcome) => outcome.kind).join(','));
}

async function measureUploader(simulator: GraphSimulator, fileMb: number) {
  simulator.reset();
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', __filename, 'uploader-child'], {
    env: { ...process.env, BENCH_GRAPH_URL: simulator.url, BENCH_UPLOAD_URL: simulator.uploadUrl, BENCH_FILE_MB: String(fileMb) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const message = () =>
    new Promise<string>((resolve, reject) => {
      child.once('message', (m) => resolve(String(m)));
      child.once('exit', (code) => reject(new Error(`the uploader child exited with ${code}`)));
    });
  await message();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const baseline = await rssBytes(child.pid!);
  const sampler = samplePeakRss(child.pid!);
  const started = Date.now();
  const done = message();
  child.send('go');
  const results = await done;
  const peak = Math.max(baseline, await sampler.stop());
  child.kill();
  return {
    emails: 5,
    fileMb,
    results,
    elapsedMs: Date.now() - started,
    ...memoryFigures(baseline, peak, simulator),
    uploadRangeErrors: simulator.stats.uploadRangeErrors,
  };
}

async function measureOutcomes(simulator: GraphSimulator, perBatch: number, windowMs: number, copyDelaysMs: number[]) {
  const batches = [];
  for (const copyDelayMs of copyDelaysMs) {
    simulator.reset();
    simulator.setSentCopyDelayMs(copyDelayMs);
    const pipeline = await startTestPipeline({
      simulator,
      documents: { accounts: [accountDocument('acc-1', { sendMode: 'draft' })], users: [] },
      env: {
        MS_UPLOAD_BASE_URL: simulator.uploadUrl,
        DRAFT_CONFIRM_WINDOW_MS: String(windowMs),
        DRAFT_CONFIRM_INTERVAL_MS: '250',
        RETRY_BASE_DELAY_MS: String(windowMs),
      },
    });
    try {
      for (let i = 0; i < perBatch; i += 1) simulator.inject({ on: 'send', kind: i % 2 === 0 ? 'accept-then-504' : 'accept-then-reset' });
      const jobs = await pipeline.producer.enqueueMany(
        Array.from({ length: perBatch }, (_, i) => sampleEmail({ subject: `Lost answer ${i}` })),
      );
      const ends = await Promise.all(jobs.map(({ jobId }) => pipeline.waitForEnd(jobId, 120_000)));
      const records = await Promise.all(jobs.map(async ({ jobId }) => (await pipeline.deliveries.find({ jobId }))[0]));
      batches.push({
        copyDelayMs,
        windowMs,
        lostAnswers: perBatch,
        sent: ends.filter((end) => end.state === 'completed').length,
        resolvedExactly: records.filter((record) => record?.status === 'sent' && !record.possibleDuplicate).length,
        flaggedPossibleDuplicate: records.filter((record) => record?.possibleDuplicate).length,
        duplicatesDelivered: simulator.stats.draftsSent - perBatch,
      });
    } finally {
      await pipeline.close();
    }
  }
  simulator.setSentCopyDelayMs(0);
  return batches;
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'all';
  if (which === 'uploader-child') return runUploaderChild();
  const redis = await startRedisServer();
  process.env.REDIS_URL = redis.url;
  const simulator = await startGraphSimulator({ tenants: PIPELINE_TENANTS });
  try {
    const report: Record<string, unknown> = { node: process.version };
    if (which === 'all' || which === 'outcomes') report.outcomes = await measureOutcomes(simulator, 20, 3000, [0, 1000, 2500, 6000]);
    if (which === 'all' || which === 'uploader')
      report.uploader = await measureUploader(simulator, Number(process.env.BENCH_FILE_MB ?? 100));
    if (which === 'all' || which === 'memory')
      report.memory = await measureMemory(simulator, redis.url, Number(process.env.BENCH_FILE_MB ?? 100), 5);
    console.log(JSON.stringify(report));
  } finally {
    await simulator.close();
    await redis.stop();
  }
}

// Exits explicitly: a failed run must not leave its worker, simulator or Redis behind waiting.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
