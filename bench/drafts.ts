// Draft-sending measurements, run once by hand (`npm run bench:drafts`), never by the tests:
//  memory:   the real worker process sends 5 e-mails of 100 MB each (5 mailboxes) at once; its RSS is
//            sampled every 50 ms and the growth over the idle worker is reported (docs/performance.md).
//  outcomes: lost answers to send (504 and connection reset) with the Sent Items copy appearing after
//            various delays; how many were resolved exactly, flagged, and sent twice (docs/reliability.md).
import { randomUUID } from 'node:crypto';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Job, QueueEvents } from 'bullmq';
import { createEmailProducer } from '../src/jobs/producer';
import { startGraphSimulator, type GraphSimulator } from '../test/simulator/graph-simulator';
import { startRedisServer } from '../test/support/redis-server';
import { PIPELINE_TENANTS, accountDocument, sampleEmail, startTestPipeline } from '../test/support/test-pipeline';

const MB = 1024 * 1024;

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function measureMemory(simulator: GraphSimulator, redisUrl: string, fileMb: number, mailboxes: number) {
  const dir = await mkdtemp(join(tmpdir(), 'omikai-bench-drafts-'));
  const accounts = Array.from({ length: mailboxes }, (_, i) =>
    accountDocument(`acc-${i + 1}`, { senderEmail: `sales${i + 1}@contoso.example`, sendMode: 'draft', maxSendSizeMb: 150 }),
  );
  await writeFile(join(dir, 'settings.json'), JSON.stringify({ accounts, users: [] }));
  const queueName = `bench-drafts-${randomUUID()}`;
  const worker = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, '../workers/email-worker.ts')], {
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
      WORKER_METRICS_PORT: '0',
      SEND_TIMEOUT_MS: '60000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const producer = createEmailProducer({ connection: { url: redisUrl }, queueName, maxMessageBytes: 145 * MB });
  const events = new QueueEvents(queueName, { connection: { url: redisUrl } });
  try {
    // A small draft e-mail first: the worker has loaded everything it needs before the baseline.
    const warmUp = await producer.enqueue(sampleEmail({ accountId: 'acc-1' }));
    await (await Job.fromId(producer.queue, warmUp.jobId))!.waitUntilFinished(events, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const baseline = await rssBytes(worker.pid!);

    const content = Buffer.alloc(fileMb * MB);
    for (let i = 0; i < content.length; i += 4) content.writeUInt32LE((i * 2654435761) >>> 0, i);
    const contentBase64 = content.toString('base64');
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await rssBytes(worker.pid!).catch(() => 0));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const started = Date.now();
    const jobs = await producer.enqueueMany(
      accounts.map((account) =>
        sampleEmail({
          accountId: String(account._id),
          attachments: [{ name: 'large.bin', contentType: 'application/octet-stream', contentBase64 }],
        }),
      ),
    );
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
    sampling = false;
    await sampler;
    return {
      emails: mailboxes,
      fileMb,
      results,
      elapsedMs,
      baselineRssMb: +(baseline / MB).toFixed(1),
      peakRssMb: +(peak / MB).toFixed(1),
      rssGrowthMb: +((peak - baseline) / MB).toFixed(1),
      uploadedMb: +(simulator.stats.uploadBytes / MB).toFixed(1),
      uploadRequests: simulator.stats.uploadRequests,
      uploadAuthorizationHeaders: simulator.stats.uploadAuthorizationHeaders,
    };
  } finally {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await events.close();
    await producer.queue.obliterate({ force: true });
    await producer.close();
    await rm(dir, { recursive: true, force: true });
  }
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
  const redis = await startRedisServer();
  process.env.REDIS_URL = redis.url;
  const simulator = await startGraphSimulator({ tenants: PIPELINE_TENANTS });
  try {
    const report: Record<string, unknown> = { node: process.version };
    if (which === 'all' || which === 'outcomes') report.outcomes = await measureOutcomes(simulator, 20, 3000, [0, 1000, 2500, 6000]);
    if (which === 'all' || which === 'memory')
      report.memory = await measureMemory(simulator, redis.url, Number(process.env.BENCH_FILE_MB ?? 100), 5);
    console.log(JSON.stringify(report));
  } finally {
    await simulator.close();
    await redis.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
