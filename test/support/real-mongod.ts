// Starts real mongod servers for the test run with mongodb-memory-server-core: a single server and a one-node
// replica set, from MONGOMS_SYSTEM_BINARY, a cached binary, or a download bounded in time.
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DryMongoBinary, MongoMemoryReplSet, MongoMemoryServer } from 'mongodb-memory-server-core';

/** How long the download host may take to answer at all: a machine without network says so in seconds. */
const HOST_PROBE_TIMEOUT_MS = 5_000;
/** How long the download itself may take (a mongod archive is about 70 MB); the run goes on without it after that. */
const DOWNLOAD_TIMEOUT_MS = 240_000;
const DEFAULT_DOWNLOAD_HOST = 'https://fastdl.mongodb.org';

export interface RealMongods {
  version: string;
  singleUri: string;
  replicaSetUri: string;
  stop(): Promise<void>;
}

export type RealMongodResult = { started: RealMongods } | { unavailable: string };

/** Caches the binary outside node_modules (npm ci wipes that), unless MONGOMS_DOWNLOAD_DIR says where. */
export function useBinaryCache(): string {
  process.env.MONGOMS_DOWNLOAD_DIR ??= join(homedir(), '.cache', 'mongodb-binaries');
  return process.env.MONGOMS_DOWNLOAD_DIR;
}

export async function startRealMongods(log: (line: string) => void): Promise<RealMongodResult> {
  const cacheDir = useBinaryCache();
  const options = await DryMongoBinary.generateOptions();
  // MongoMemoryServer finds the binary itself; this only decides whether one must be downloaded first.
  if ((await DryMongoBinary.locateBinary(options)) === undefined) {
    if (process.env.MONGOMS_SYSTEM_BINARY)
      return { unavailable: `MONGOMS_SYSTEM_BINARY=${process.env.MONGOMS_SYSTEM_BINARY} is not a mongod binary` };
    const host = process.env.MONGOMS_DOWNLOAD_MIRROR || DEFAULT_DOWNLOAD_HOST;
    const unreachable = await probeHost(host, HOST_PROBE_TIMEOUT_MS);
    if (unreachable)
      return { unavailable: `mongod ${options.version} is not in ${cacheDir} and ${host} cannot be reached (${unreachable})` };
    log(`downloading mongod ${options.version} into ${cacheDir} (at most ${DOWNLOAD_TIMEOUT_MS / 1000} s) ...`);
    const downloaded = await downloadInChild(DOWNLOAD_TIMEOUT_MS);
    if ('failed' in downloaded) return { unavailable: `downloading mongod ${options.version} failed: ${downloaded.failed}` };
  }
  const single = await MongoMemoryServer.create();
  try {
    const replicaSet = await MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger' } });
    await replicaSet.waitUntilRunning();
    return {
      started: {
        version: options.version,
        singleUri: single.getUri(),
        replicaSetUri: replicaSet.getUri(),
        async stop() {
          await Promise.all([single.stop({ doCleanup: true, force: true }), replicaSet.stop({ doCleanup: true, force: true })]);
        },
      },
    };
  } catch (err: unknown) {
    await single.stop({ doCleanup: true, force: true });
    throw err;
  }
}

/** Undefined when the host answers anything at all; else why not (DNS, refused, timeout). */
function probeHost(url: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = request(url, { method: 'HEAD', timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(undefined);
    });
    probe.on('timeout', () => probe.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    probe.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    probe.end();
  });
}

/** In a child process, so a download that overruns its time is stopped instead of holding the test run open. */
function downloadInChild(timeoutMs: number): Promise<{ path: string } | { failed: string }> {
  const script =
    "require('mongodb-memory-server-core').MongoBinary.getPath()" +
    '.then((path) => { process.stdout.write(path); }, (err) => { process.stderr.write(String(err && err.message)); process.exit(1); });';
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && stdout.trim() !== '') resolve({ path: stdout.trim() });
      else
        resolve({
          failed: signal === 'SIGKILL' ? `not done within ${timeoutMs / 1000} s` : stderr.trim().split('\n').pop() || `exit code ${code}`,
        });
    });
  });
}
