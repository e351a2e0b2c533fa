// The client package as an ERP installs it: packed with npm, installed from the tarball into a project
// outside the repository, used from TypeScript (type-checked with tsc against the shipped types),
// CommonJS and ESM; the e-mails they queue are sent by the real worker process to the simulator.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-processes';
import { PIPELINE_TENANTS, accountDocument } from '../support/test-pipeline';
import { until } from '../../tools/until';

const run = promisify(execFile);
const REPO = join(__dirname, '..', '..');
const CLIENT_DIR = join(REPO, 'packages', 'client');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

describe('the client package, packed and installed outside the repository', () => {
  let scratch: string;
  let simulator: GraphSimulator;
  let worker: WorkerProcess;
  const redisUrl = process.env.REDIS_URL!;
  const queueName = `test-${randomUUID()}`;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'erp-consumer-'));
    simulator = await startGraphSimulator({ tenants: PIPELINE_TENANTS });
  }, 30_000);

  afterAll(async () => {
    if (worker) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    const queue = new Queue(queueName, { connection: { url: redisUrl } });
    await queue.obliterate({ force: true });
    await queue.close();
    await simulator.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('installs from the tarball with npm, type-checks, and every consumer queues an e-mail the worker sends', async () => {
    // npm pack builds it (prepack) the way `npm run pack:client` does.
    const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: CLIENT_DIR });
    const [{ filename, files }] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
    const shipped = files.map((f) => f.path);
    expect(shipped).toEqual(expect.arrayContaining(['dist/cjs/index.js', 'dist/cjs/index.d.ts', 'esm/index.mjs', 'esm/index.d.mts']));
    expect(shipped.filter((path) => /test|\.ts$/.test(path) && !path.endsWith('.d.ts') && !path.endsWith('.d.mts'))).toEqual([]);

    const project = join(scratch, 'erp');
    await run('mkdir', ['-p', project]);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'erp', version: '1.0.0', private: true }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(scratch, filename)], { cwd: project });
    const installed = await readdir(join(project, 'node_modules'));
    // What the worker needs and the ERP does not: never installed with the client.
    for (const heavy of ['express', '@azure', '@microsoft', 'mongoose', 'prom-client', 'pino', '@bull-board']) {
      expect(installed).not.toContain(heavy);
    }

    for (const name of ['consumer.ts', 'consumer.cjs', 'consumer.mjs']) await copyFile(join(__dirname, `${name}.txt`), join(project, name));
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'node16',
          moduleResolution: 'node16',
          strict: true,
          outDir: 'out',
          typeRoots: [join(REPO, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project });

    const contentDir = join(scratch, 'content');
    const settingsFile = join(scratch, 'settings.json');
    await writeFile(settingsFile, JSON.stringify({ accounts: [accountDocument('acc-1')], users: [] }));
    worker = spawnWorkerProcess({
      STORE: 'memory',
      SETTINGS_FILE: settingsFile,
      CONTENT_DIR: contentDir,
      REDIS_URL: redisUrl,
      EMAIL_QUEUE_NAME: queueName,
      MS_GRAPH_BASE_URL: simulator.url,
      MS_LOGIN_BASE_URL: simulator.url,
      WORKER_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    });

    const fromTs = JSON.parse((await run(process.execPath, ['out/consumer.js', redisUrl, queueName, contentDir], { cwd: project })).stdout);
    const fromCjs = JSON.parse((await run(process.execPath, ['consumer.cjs', redisUrl, queueName], { cwd: project })).stdout);
    const fromEsm = JSON.parse((await run(process.execPath, ['consumer.mjs'], { cwd: project })).stdout);
    expect(fromTs.problems).toEqual(['subject', 'attachments']);
    expect(fromCjs.schemaVersion).toBe(2);
    expect(fromEsm).toMatchObject({ queue: 'omikai-email', title: expect.stringContaining('schemaVersion 2') });

    const queue = new Queue(queueName, { connection: { url: redisUrl } });
    try {
      await until(async () => (await queue.getCompletedCount()) === 3, 30_000);
      expect(await queue.getJobState(fromTs.jobId)).toBe('completed');
      expect(await queue.getJobState(fromTs.bulkJobId)).toBe('completed');
      expect(await queue.getJobState(fromCjs.jobId)).toBe('completed');
      // enqueue() is interactive (no BullMQ priority), enqueueMany() bulk.
      expect((await queue.getJob(fromTs.jobId))!.opts.priority ?? 0).toBe(0);
      expect((await queue.getJob(fromTs.bulkJobId))!.opts.priority).toBeGreaterThan(0);
    } finally {
      await queue.close();
    }
    const subjects = simulator.sent.map((s) => (s.message as { subject: string }).subject).sort();
    expect(subjects).toEqual(['From the CommonJS consumer', 'From the TypeScript consumer', 'Statement']);
    const withAttachment = simulator.sent.find((s) => (s.message as { subject: string }).subject.includes('TypeScript'));
    const { attachments, toRecipients } = withAttachment!.message as {
      attachments: { contentBytes: string }[];
      toRecipients: { emailAddress: { name?: string } }[];
    };
    expect(Buffer.from(attachments[0]!.contentBytes, 'base64').length).toBe(100_000);
    // The contract's control-character rule holds in display names too.
    expect(toRecipients[0]!.emailAddress.name).toBe('Customer  Ltd');
  }, 180_000);
});
