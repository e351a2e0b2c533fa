// `npm run demo`: the real worker process, in memory mode, against the Graph simulator; sends a few
// sample e-mails and prints what happened to each. Needs only Node and Redis (started if missing).
import {
  createRedisConnection,
  createEmailProducer,
  describeRedisTarget,
  type EmailInput,
  DirectoryPayloadStore,
  type RedisTarget,
} from '@omikai/graph-mailer-client';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Job, QueueEvents } from 'bullmq';
import { loadStoreOptionalConfig } from '../config/load-config';
import { DEFAULT_CONTENT_DIR } from '../config/content-env';
import { DEMO_TENANT } from '../tools/graph-simulator/demo-tenant';
import { startGraphSimulator } from '../tools/graph-simulator/graph-simulator';
import { startRedisServer, type TestRedis } from '../tools/redis/throwaway-redis';

const SETTINGS_FILE = join(__dirname, '../config/demo-settings.json');
const WORKER_ENTRY = join(__dirname, 'email-worker.ts');
// The demo hands its own environment on to the worker it starts, so it reads process.env itself.
const env = process.env;

const SAMPLES: { label: string; email: EmailInput }[] = [
  {
    label: 'invoice with a 200 KB PDF (content in the payload store, only a reference in Redis)',
    email: {
      accountId: 'acc-demo',
      to: [{ address: 'customer@example.com', name: 'Fabrikam Purchasing' }],
      subject: 'Invoice 1043',
      html: '<p>Please find invoice 1043 attached.</p>',
      attachments: [{ name: 'invoice-1043.pdf', contentType: 'application/pdf', content: Buffer.alloc(200_000, 37) }],
    },
  },
  {
    label: 'invoice from the account address',
    email: {
      accountId: 'acc-demo',
      to: [{ address: 'customer@example.com', name: 'Fabrikam Purchasing' }],
      subject: 'Invoice 1042',
      html: '<p>Please find invoice 1042 attached.</p>',
      attachments: [
        {
          name: 'invoice-1042.txt',
          contentType: 'text/plain',
          contentBase64: Buffer.from('Invoice 1042: 1,250.00 EUR').toString('base64'),
        },
      ],
      correlation: { documentType: 'invoice', documentId: '1042' },
      idempotencyKey: 'invoice-1042-email',
    },
  },
  {
    label: 'quote sent as user Anna (her own sender e-mail)',
    email: {
      accountId: 'acc-demo',
      userId: 'user-anna',
      to: [{ address: 'lead@example.com' }],
      subject: 'Quote Q-77',
      text: 'Here is the quote.',
    },
  },
  {
    label: 'user Bob has no sender e-mail: falls back to the account',
    email: {
      accountId: 'acc-demo',
      userId: 'user-bob',
      to: [{ address: 'lead@example.com' }],
      subject: 'Follow-up',
      text: 'Following up.',
    },
  },
  {
    label: 'Graph throttles once (429, Retry-After: 1), then it is sent',
    email: { accountId: 'acc-demo', to: [{ address: 'customer@example.com' }], subject: 'Reminder', text: 'Friendly reminder.' },
  },
  {
    label: 'a 20 MB drawing, sent through a draft (account in auto mode: over 4 MB goes as a draft)',
    email: {
      accountId: 'acc-drafts',
      to: [{ address: 'site-manager@example.com' }],
      subject: 'Drawings rev. C',
      text: 'The full drawing set is attached.',
      attachments: [
        { name: 'drawings-rev-c.pdf', contentType: 'application/pdf', contentBase64: demoFile(20 * 1024 * 1024).toString('base64') },
      ],
    },
  },
  {
    label: 'sender outside the Exchange application access policy',
    email: { accountId: 'acc-restricted', to: [{ address: 'customer@example.com' }], subject: 'Order confirmation', text: 'Thanks.' },
  },
];

/** Bytes that stand in for a large PDF (a repeated pattern, so the demo needs no file). */
function demoFile(bytes: number): Buffer {
  const pattern = Buffer.from('%PDF-1.7 demo drawing page\n');
  return Buffer.alloc(bytes, pattern);
}

async function redisReachable(target: RedisTarget): Promise<boolean> {
  const client = createRedisConnection(target, 'producer', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function main(): Promise<void> {
  // Redis as the worker finds it (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES; default 127.0.0.1:6379).
  let redis = loadStoreOptionalConfig(env).redis.target;
  let redisEnv: Record<string, string> = {};
  let ownRedis: TestRedis | undefined;
  if (!(await redisReachable(redis))) {
    ownRedis = await startRedisServer();
    console.log(`No Redis at ${describeRedisTarget(redis)}; started a throwaway redis-server at ${ownRedis.url}.`);
    redis = { kind: 'single', url: ownRedis.url };
    // The worker connects there too: the variables of any other topology are blanked.
    redisEnv = { REDIS_URL: ownRedis.url, REDIS_TLS: 'false' };
    for (const name of ['REDIS_SENTINELS', 'REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_USERNAME', 'REDIS_SENTINEL_PASSWORD'] as const)
      redisEnv[name] = '';
    for (const name of ['REDIS_CLUSTER_NODES', 'REDIS_USERNAME', 'REDIS_PASSWORD'] as const) redisEnv[name] = '';
  }
  const simulator = await startGraphSimulator({
    tenants: [{ ...DEMO_TENANT, mailboxes: [...DEMO_TENANT.mailboxes, { address: 'branch@contoso.example', blockedByPolicy: true }] }],
  });
  console.log(`Graph simulator (stands in for Microsoft Entra + Graph): ${simulator.url}`);

  const queueName = `omikai-email-demo-${randomUUID().slice(0, 8)}`;
  // The worker process and this producer share the directory payload store (CONTENT_DIR).
  const contentDir = env.CONTENT_DIR || DEFAULT_CONTENT_DIR;
  const worker = spawn(process.execPath, ['--require', 'tsx/cjs', WORKER_ENTRY], {
    env: {
      ...env,
      NODE_ENV: 'development',
      STORE: 'memory',
      SETTINGS_FILE,
      ...redisEnv,
      EMAIL_QUEUE_NAME: queueName,
      CONTENT_DIR: contentDir,
      MS_GRAPH_BASE_URL: simulator.url,
      MS_LOGIN_BASE_URL: simulator.url,
      // Upload sessions point to the simulator's own upload host; the worker refuses any other.
      MS_UPLOAD_BASE_URL: simulator.uploadUrl,
      NODE_EXTRA_CA_CERTS: simulator.certPath,
      RETRY_BASE_DELAY_MS: '500',
      WORKER_METRICS_PORT: '0', // a demo must not collide with a worker already serving /metrics here
      LOG_LEVEL: env.LOG_LEVEL ?? 'fatal', // LOG_LEVEL=info npm run demo shows the worker's own log lines
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });

  // The draft-mode account takes e-mails over sendMail's 4 MB, up to its own limit.
  const producer = createEmailProducer({
    redis,
    queueName,
    maxMessageBytes: 40 * 1024 * 1024,
    payloads: new DirectoryPayloadStore(contentDir),
  });
  // QueueEvents blocks reading events: a connection of its own.
  const eventsConnection = createRedisConnection(redis, 'worker');
  const events = new QueueEvents(queueName, { connection: eventsConnection });
  try {
    simulator.inject({ on: 'sendMail', kind: 'status', status: 429, retryAfter: '1', mailbox: 'info@contoso.example' });
    const jobs = await Promise.all(SAMPLES.map(async (sample) => ({ ...sample, ...(await producer.enqueue(sample.email)) })));
    console.log(`Enqueued ${jobs.length} e-mails on queue ${queueName}; the worker process picks them up.\n`);
    for (const { label, jobId } of jobs) {
      const job = await Job.fromId(producer.queue, jobId);
      try {
        const result = (await job!.waitUntilFinished(events, 30_000)) as { status: string; sender?: string; graphRequestId?: string };
        console.log(`  sent     ${label}\n           from ${result.sender ?? '-'}, Graph request-id ${result.graphRequestId ?? '-'}`);
      } catch {
        const failed = await Job.fromId(producer.queue, jobId);
        console.log(`  FAILED   ${label}\n           ${failed?.failedReason}`);
      }
    }
    console.log(
      `\nThe simulator accepted ${simulator.sent.length} message(s), answered ${simulator.stats.sendMailRequests} sendMail request(s) and ${simulator.stats.tokenRequests} token request(s).`,
    );
    const { stats } = simulator;
    console.log(
      `Draft mode: ${stats.draftsSent} draft sent; ${(stats.uploadBytes / 1048576).toFixed(1)} MB uploaded in ${stats.uploadRequests} ranges ` +
        `(each under 4 MB, in order) to the upload host ${simulator.uploadUrl}, which saw ${stats.uploadAuthorizationHeaders} Authorization header(s).`,
    );
  } finally {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await events.close();
    await eventsConnection.quit();
    await producer.queue.obliterate({ force: true });
    await producer.close();
    await simulator.close();
    await ownRedis?.stop();
  }
}

main().catch((err: unknown) => {
  console.error('The demo failed:', err);
  process.exitCode = 1;
});
