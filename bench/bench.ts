// `npm run bench [-- --jobs N --concurrency C]`: what our pipeline costs on top of BullMQ and one
// HTTPS call, measured in one run on one Redis. Prints a table, then one JSON line (the last line).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../tools/redis/throwaway-redis';
import { startSimulatorProcess } from '../tools/graph-simulator/simulator-process';
import { DirectoryPayloadStore } from '@omikai/graph-mailer-client';
import { runContentEnqueue, runContentFootprint, withAttachment } from './content';
import {
  runBare,
  runBareHttps,
  runEnqueue,
  runPipeline,
  type BenchContext,
  type DrainResult,
  type PipelineResult,
  type PipelineVariant,
} from './scenarios';

const TENANT_ID = 'bbbbbbbb-0000-4000-8000-00000000b001';
const CLIENT = { clientId: 'c0000000-0000-4000-8000-00000000b001', clientSecret: 'bench-secret' };
const LATENCY_MS = 100;
const LATENCY_CONCURRENCY = 200;

async function fetchToken(simulatorUrl: string): Promise<string> {
  const response = await fetch(`${simulatorUrl}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      scope: `${simulatorUrl}/.default`,
    }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string', default: '20000' },
      concurrency: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '2' },
      flow: { type: 'string', default: 'on' },
      // Also measure the pipeline with each of our optional parts left out, in the same run.
      breakdown: { type: 'boolean', default: false },
      // E-mails of the content scenarios (one 1 MB attachment each, through the payload store).
      'content-jobs': { type: 'string', default: '5000' },
    },
  });
  const jobs = Number(values.jobs);
  const rounds = Math.max(1, Number(values.rounds));
  const concurrency = Number(values.concurrency);
  const workDir = await mkdtemp(join(tmpdir(), 'omikai-bench-'));
  const redis = await startRedisServer();
  const simulator = await startSimulatorProcess(
    [{ tenantId: TENANT_ID, clients: [CLIENT], mailboxes: [{ address: 'info@contoso.example' }] }],
    workDir,
  );
  const ctx: BenchContext = {
    redis: { kind: 'single', url: redis.url },
    simulatorUrl: simulator.url,
    concurrency,
    flow: values.flow !== 'off',
    documents: {
      accounts: [
        {
          _id: 'acc-bench',
          emailProvider: 'microsoft-graph',
          microsoftGraph: { tenantId: TENANT_ID, ...CLIENT, senderEmail: 'info@contoso.example' },
        },
      ],
      users: [],
    },
    email: {
      accountId: 'acc-bench',
      to: [{ address: 'customer@example.com', name: 'Customer' }],
      subject: 'Invoice 1042',
      html: `<p>${'Please find your invoice attached. '.repeat(8)}</p>`,
      correlation: { documentType: 'invoice', documentId: '1042' },
    },
  };
  ctx.payloads = new DirectoryPayloadStore(join(workDir, 'content'));
  ctx.resetSimulator = () => simulator.reset();
  const queue = () => `bench-${randomUUID()}`;
  try {
    console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
    console.log(
      `Jobs: ${jobs}, concurrency: ${concurrency}, rounds: ${rounds} (best round of each scenario), flow control ${ctx.flow ? 'on' : 'off'}\n`,
    );

    // The machine is shared and noisy: alternate the scenarios and keep each one's best round.
    const accessToken = await fetchToken(simulator.url);
    const best = <T extends DrainResult>(results: T[]): T => results.reduce((a, b) => (b.jobsPerSec > a.jobsPerSec ? b : a));
    const leastCpu = (results: DrainResult[]): number => Math.min(...results.map((r) => r.cpuMicrosPerJob));
    const bareRounds: DrainResult[] = [];
    const bareHttpsRounds: DrainResult[] = [];
    const pipelineRounds: PipelineResult[] = [];
    // What each optional part of ours costs: the same pipeline with it left out, in the same rounds.
    const variants: { key: string; label: string; variant: PipelineVariant; rounds: DrainResult[] }[] = [
      { key: 'withoutFlowControl', label: 'without flow control', variant: { flow: false }, rounds: [] },
      { key: 'withoutInfoLog', label: 'without the info log line', variant: { logLevel: 'warn' }, rounds: [] },
      { key: 'withoutDeliveryRecords', label: 'without delivery records', variant: { deliveryRecords: false }, rounds: [] },
      {
        key: 'withoutAllThree',
        label: 'without all three',
        variant: { flow: false, logLevel: 'warn', deliveryRecords: false },
        rounds: [],
      },
    ];
    let tokenRequests = 0;
    for (let round = 0; round < rounds; round += 1) {
      bareRounds.push(await runBare(ctx, queue(), jobs));
      await simulator.reset();
      bareHttpsRounds.push(await runBareHttps(ctx, queue(), jobs, accessToken));
      await simulator.reset();
      pipelineRounds.push(await runPipeline(ctx, queue(), jobs));
      tokenRequests = Math.max(tokenRequests, (await simulator.stats()).tokenRequests);
      await simulator.reset();
      for (const { variant, rounds: variantRounds } of values.breakdown ? variants : []) {
        variantRounds.push(await runPipeline(ctx, queue(), jobs, variant));
        await simulator.reset();
      }
    }
    const [bare, bareHttps, pipeline] = [best(bareRounds), best(bareHttpsRounds), best(pipelineRounds)];
    const redisAfterPipelineMb = pipeline.redisUsedMemoryMb;

    await simulator.setLatencyMs(LATENCY_MS);
    const latencyRounds: DrainResult[] = [];
    const leanLatencyRounds: DrainResult[] = [];
    const lean = variants.find(({ key }) => key === 'withoutAllThree')!.variant;
    for (let round = 0; round < 2; round += 1) {
      latencyRounds.push(await runPipeline(ctx, queue(), jobs, { concurrency: LATENCY_CONCURRENCY }));
      await simulator.reset();
      if (values.breakdown) {
        leanLatencyRounds.push(await runPipeline(ctx, queue(), jobs, { ...lean, concurrency: LATENCY_CONCURRENCY }));
        await simulator.reset();
      }
    }
    const latency = best(latencyRounds);
    await simulator.setLatencyMs(0);
    const idealJobsPerSec = LATENCY_CONCURRENCY / (LATENCY_MS / 1000);

    const enqueueRounds = [await runEnqueue(ctx, queue(), jobs, false), await runEnqueue(ctx, queue(), jobs, true)];
    const enqueue = {
      enqueueManySeconds: Math.min(...enqueueRounds.map((r) => r.enqueueManySeconds)),
      addBulkSeconds: Math.min(...enqueueRounds.map((r) => r.addBulkSeconds)),
    };

    // Content out of Redis: Redis bytes per job with a 1 MB attachment and without, and enqueue with 100 KB.
    const contentJobs = Number(values['content-jobs']);
    const payloads = ctx.payloads;
    const withMb = await runContentFootprint(ctx, queue(), contentJobs, withAttachment(ctx.email, 1024 * 1024), payloads);
    await simulator.reset();
    const withoutAttachment = await runContentFootprint(ctx, queue(), contentJobs, ctx.email, payloads);
    await simulator.reset();
    // The inline limit's reason: small e-mails sent with their content in the store (inline limit 0).
    const smallOffloaded = await runContentFootprint(ctx, queue(), Math.min(jobs, 5000), ctx.email, payloads, 0);
    await simulator.reset();
    const smallInline = await runContentFootprint(ctx, queue(), Math.min(jobs, 5000), ctx.email, payloads);
    await simulator.reset();
    const contentEnqueue = await runContentEnqueue(ctx, queue(), Math.min(jobs, 2000), withAttachment(ctx.email, 100 * 1024), payloads);

    const cpu = { bare: leastCpu(bareRounds), bareHttps: leastCpu(bareHttpsRounds), pipeline: leastCpu(pipelineRounds) };
    const breakdown = (values.breakdown ? variants : []).map(({ key, label, rounds: variantRounds }) => {
      const result = best(variantRounds);
      return {
        key,
        label,
        jobsPerSec: result.jobsPerSec,
        ratio: round(result.jobsPerSec / bareHttps.jobsPerSec),
        cpu: leastCpu(variantRounds),
      };
    });

    const rows: [string, string][] = [
      ['bare BullMQ (no-op)', `${round(bare.jobsPerSec, 0)} jobs/s`],
      ['bare + HTTPS sendMail', `${round(bareHttps.jobsPerSec, 0)} jobs/s`],
      ['pipeline (ours)', `${round(pipeline.jobsPerSec, 0)} jobs/s`],
      [
        'worker CPU per e-mail (bare, +HTTPS, ours)',
        `${round(cpu.bare, 0)} µs, ${round(cpu.bareHttps, 0)} µs, ${round(cpu.pipeline, 0)} µs`,
      ],
      ['  ratio to bare', `${round(pipeline.jobsPerSec / bare.jobsPerSec)}`],
      ['  ratio to bare + HTTPS', `${round(pipeline.jobsPerSec / bareHttps.jobsPerSec)}`],
      ...breakdown.map(({ label, jobsPerSec, ratio, cpu: variantCpu }): [string, string] => [
        `  ${label}`,
        `${round(jobsPerSec, 0)} jobs/s, ratio to bare + HTTPS ${ratio}, ${round(variantCpu, 0)} µs CPU per e-mail`,
      ]),
      [
        `pipeline at ${LATENCY_MS} ms latency, c=${LATENCY_CONCURRENCY}`,
        `${round(latency.jobsPerSec, 0)} jobs/s of ideal ${idealJobsPerSec}, ${round(leastCpu(latencyRounds), 0)} µs CPU per e-mail`,
      ],
      ...(values.breakdown
        ? [
            [
              '  without all three',
              `${round(best(leanLatencyRounds).jobsPerSec, 0)} jobs/s, ${round(leastCpu(leanLatencyRounds), 0)} µs CPU per e-mail`,
            ] as [string, string],
          ]
        : []),
      ['enqueueMany / addBulk', `${round(enqueue.enqueueManySeconds, 2)} s / ${round(enqueue.addBulkSeconds, 2)} s`],
      ['token requests (simulator)', `${tokenRequests}`],
      ['settings reads', `${pipeline.settingsReads}`],
      ['worker RSS before → after', `${round(pipeline.rssBeforeMb, 0)} → ${round(pipeline.rssAfterMb, 0)} MB`],
      ['worker live heap growth (after GC)', `${round(pipeline.heapGrowthMb, 1)} MB`],
      ['Redis used_memory after pipeline', `${round(redisAfterPipelineMb, 1)} MB`],
      [
        `Redis bytes per job, 1 MB attachment (${contentJobs})`,
        `${withMb.redisBytesPerWaitingJob} waiting, ${withMb.redisBytesPerCompletedJob} completed, ${round(withMb.jobsPerSec, 0)} jobs/s`,
      ],
      [
        `Redis bytes per job, no attachment (${contentJobs})`,
        `${withoutAttachment.redisBytesPerWaitingJob} waiting, ${withoutAttachment.redisBytesPerCompletedJob} completed`,
      ],
      [
        'small e-mails: content inline / in the store',
        `${round(smallInline.jobsPerSec, 0)} / ${round(smallOffloaded.jobsPerSec, 0)} jobs/s`,
      ],
      [
        'enqueue 100 KB attachments: store / inline',
        `${round(contentEnqueue.enqueueManySeconds, 2)} s / ${round(contentEnqueue.addBulkInlineSeconds, 2)} s (addBulk)`,
      ],
    ];
    for (const [name, value] of rows) console.log(`${name.padEnd(44)} ${value}`);

    console.log(
      JSON.stringify({
        jobs,
        concurrency,
        flowControl: ctx.flow,
        bareJobsPerSec: round(bare.jobsPerSec, 0),
        bareHttpsJobsPerSec: round(bareHttps.jobsPerSec, 0),
        pipelineJobsPerSec: round(pipeline.jobsPerSec, 0),
        ratioToBare: round(pipeline.jobsPerSec / bare.jobsPerSec),
        ratioToBareHttps: round(pipeline.jobsPerSec / bareHttps.jobsPerSec),
        latencyEfficiency: round(latency.jobsPerSec / idealJobsPerSec),
        enqueueRatio: round(enqueue.addBulkSeconds / enqueue.enqueueManySeconds),
        tokenRequests,
        settingsReads: pipeline.settingsReads,
        rssGrowthMb: round(pipeline.rssAfterMb - pipeline.rssBeforeMb, 1),
        heapGrowthMb: round(pipeline.heapGrowthMb, 1),
        cpuMicrosPerJob: { bare: round(cpu.bare, 0), bareHttps: round(cpu.bareHttps, 0), pipeline: round(cpu.pipeline, 0) },
        redisUsedMemoryMb: round(redisAfterPipelineMb, 1),
        contentJobs,
        redisBytesPerWaitingJob: withMb.redisBytesPerWaitingJob,
        redisBytesPerCompletedJob: withMb.redisBytesPerCompletedJob,
        redisBytesPerCompletedJobWithoutAttachment: withoutAttachment.redisBytesPerCompletedJob,
        redisBytesPerWaitingJobWithoutAttachment: withoutAttachment.redisBytesPerWaitingJob,
        oneMbAttachmentJobsPerSec: round(withMb.jobsPerSec, 0),
        smallInlineJobsPerSec: round(smallInline.jobsPerSec, 0),
        smallOffloadedJobsPerSec: round(smallOffloaded.jobsPerSec, 0),
        enqueue100KbStoreSeconds: round(contentEnqueue.enqueueManySeconds, 2),
        addBulk100KbInlineSeconds: round(contentEnqueue.addBulkInlineSeconds, 2),
        ...(values.breakdown
          ? {
              breakdown: Object.fromEntries(breakdown.map(({ key, ratio }) => [key, ratio])),
              latencyEfficiencyWithoutAllThree: round(best(leanLatencyRounds).jobsPerSec / idealJobsPerSec),
            }
          : {}),
      }),
    );
  } finally {
    await simulator.stop();
    await redis.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error('benchmark failed:', err);
  process.exitCode = 1;
});
