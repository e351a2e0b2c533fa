// `npm run bench` on a few hundred jobs: every scenario runs and the last line is the JSON the
// performance issue asks for. Only that the harness works is checked here, never a speed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--require', 'tsx/cjs', join(REPO, 'bench', 'bench.ts'), ...args], {
      cwd: REPO,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: join(REPO, '.simulator-tls', 'cert.pem') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the benchmark harness', () => {
  it('runs every scenario and the breakdown, and ends with the JSON summary', async () => {
    const { code, stdout, stderr } = await runBench(['--jobs', '300', '--rounds', '1', '--breakdown', '--content-jobs', '40']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({
      jobs: 300,
      concurrency: 50,
      flowControl: true,
      tokenRequests: 1,
      settingsReads: 1,
      cpuMicrosPerJob: { bare: expect.any(Number), bareHttps: expect.any(Number), pipeline: expect.any(Number) },
      breakdown: {
        withoutFlowControl: expect.any(Number),
        withoutInfoLog: expect.any(Number),
        withoutDeliveryRecords: expect.any(Number),
        withoutAllThree: expect.any(Number),
      },
    });
    for (const key of [
      'bareJobsPerSec',
      'bareHttpsJobsPerSec',
      'pipelineJobsPerSec',
      'ratioToBare',
      'ratioToBareHttps',
      'latencyEfficiency',
      'enqueueRatio',
      'latencyEfficiencyWithoutAllThree',
      'smallInlineJobsPerSec',
      'smallOffloadedJobsPerSec',
      'enqueue100KbStoreSeconds',
      'addBulk100KbInlineSeconds',
    ]) {
      expect(summary[key]).toBeGreaterThan(0);
    }
    expect(typeof summary.rssGrowthMb).toBe('number');
    // Bytes per job are differences of used_memory: over 40 jobs they may come out below 0.
    for (const key of ['redisBytesPerWaitingJob', 'redisBytesPerCompletedJob', 'redisBytesPerCompletedJobWithoutAttachment']) {
      expect(typeof summary[key]).toBe('number');
    }
    expect(summary.redisUsedMemoryMb).toBeGreaterThan(0);
    expect(stdout).toContain('bare + HTTPS sendMail');
  }, 120_000);
});
