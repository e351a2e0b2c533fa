// The worker process with SETTINGS_ENCRYPTION_KEYS: encrypted secrets (v2, and v1 of earlier versions)
// and certificates send, an undecryptable or copied secret fails for good with its reason, and no
// secret or key reaches the logs or Redis.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job, QueueEvents } from 'bullmq';
import { createEmailProducer } from '@omikai/graph-mailer-client';
import { encryptSecret } from '../../src/secrets/encrypted-secret';
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { encryptSecretV1 } from '../support/legacy-secrets';
import { sampleEmail } from '../support/test-pipeline';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-processes';
import { APPS, SECRET, accountDocument, diagnosticsFixture, type DiagnosticsFixture } from './diagnostics-kit';

const redisUrl = process.env.REDIS_URL!;
const KEY_OLD = randomBytes(32).toString('base64');
const KEY_NEW = randomBytes(32).toString('base64');
const STRAY_KEY = randomBytes(32).toString('base64');
const clientSecretOf = (accountId: string) => ({ accountId, setting: 'account.clientSecret' as const });

let fixture: DiagnosticsFixture;
let simulator: GraphSimulator;
let dir: string;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  fixture = await diagnosticsFixture();
  simulator = await startGraphSimulator({ tenants: fixture.tenants });
  dir = await mkdtemp(join(tmpdir(), 'omikai-encrypted-'));
  const { certificate } = fixture;
  const settings = {
    accounts: [
      accountDocument('acc-new-key', { clientSecret: encryptSecret(SECRET, `k2:${KEY_NEW}`, clientSecretOf('acc-new-key')) }),
      accountDocument('acc-old-key', { clientSecret: encryptSecretV1(SECRET, `k1:${KEY_OLD}`) }),
      accountDocument('acc-cert', {
        ...APPS.certificate,
        clientSecret: undefined,
        certificate: {
          privateKey: encryptSecret(certificate.privateKeyPem, `k2:${KEY_NEW}`, {
            accountId: 'acc-cert',
            setting: 'account.certificatePrivateKey',
          }),
          thumbprintSha256: certificate.thumbprintSha256,
        },
      }),
      accountDocument('acc-plain', {}),
      accountDocument('acc-lost-key', { clientSecret: encryptSecret(SECRET, `k0:${STRAY_KEY}`, clientSecretOf('acc-lost-key')) }),
      // acc-new-key's secret, copied into another account's settings.
      accountDocument('acc-copied', { clientSecret: encryptSecret(SECRET, `k2:${KEY_NEW}`, clientSecretOf('acc-new-key')) }),
    ],
    users: [],
  };
  await writeFile(join(dir, 'settings.json'), JSON.stringify(settings));
});
afterAll(async () => {
  await simulator.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  worker?.child.kill('SIGKILL');
  await worker?.exited;
  worker = undefined;
});

function startWorker(queueName: string) {
  return spawnWorkerProcess({
    STORE: 'memory',
    SETTINGS_FILE: join(dir, 'settings.json'),
    REDIS_URL: redisUrl,
    EMAIL_QUEUE_NAME: queueName,
    MS_GRAPH_BASE_URL: simulator.url,
    MS_LOGIN_BASE_URL: simulator.url,
    SETTINGS_ENCRYPTION_KEYS: `k2:${KEY_NEW},k1:${KEY_OLD}`,
    WORKER_METRICS_PORT: '0',
    // Every account sends from one mailbox; Exchange's 30-a-minute pacing is not what this test is about.
    FLOW_ENABLED: 'false',
    LOG_LEVEL: 'debug',
  });
}

describe('the worker process with encrypted settings', () => {
  it('sends with secrets under the current and the previous key and with a certificate, fails copied ones, and keeps every secret out of logs and Redis', async () => {
    const queueName = `test-${randomUUID()}`;
    const producer = createEmailProducer({ connection: { url: redisUrl }, queueName });
    const events = new QueueEvents(queueName, { connection: { url: redisUrl } });
    try {
      worker = startWorker(queueName);
      const accounts = ['acc-new-key', 'acc-old-key', 'acc-cert', 'acc-plain', 'acc-plain', 'acc-lost-key', 'acc-copied'];
      const jobs = await Promise.all(accounts.map((accountId) => producer.enqueue(sampleEmail({ accountId }))));
      const ends = await Promise.all(
        jobs.map(async ({ jobId }) => {
          const job = (await Job.fromId(producer.queue, jobId))!;
          return job.waitUntilFinished(events, 20_000).then(
            () => 'sent',
            async () => (await Job.fromId(producer.queue, jobId))!.failedReason,
          );
        }),
      );

      expect(ends.slice(0, 5)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
      expect(ends[5]).toMatch(
        /^\[settings\] Account acc-lost-key's Client secret was encrypted with key id "k0", which is not in SETTINGS_ENCRYPTION_KEYS \(ids: k2, k1\)/,
      );
      expect(ends[6]).toMatch(
        /^\[settings\] Account acc-copied's Client secret does not decrypt with key "k2": it was encrypted for another account or setting/,
      );
      expect(simulator.sent.filter((m) => m.appId === APPS.certificate.clientId)).toHaveLength(1);

      const logs = worker.output();
      expect(logs.match(/Client secret of account acc-plain is stored in plaintext/g)).toHaveLength(1);
      const redisJobs = JSON.stringify(await producer.queue.getJobs(['completed', 'failed']));
      for (const text of [logs, redisJobs]) {
        for (const secret of [SECRET, KEY_NEW, KEY_OLD, STRAY_KEY, fixture.certificate.privateKeyPem.split('\n')[1]!]) {
          expect(text).not.toContain(secret);
        }
      }
    } finally {
      await events.close();
      await producer.queue.obliterate({ force: true });
      await producer.close();
    }
  });
});
