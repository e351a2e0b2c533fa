// Throwaway Redis Sentinel sets and Redis Clusters of real redis-server processes on loopback ports,
// for tests and chaos runs: started here, stopped and their directories removed by stop().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisHostPort, RedisTarget } from '@omikai/graph-mailer-client';
import { startRedisServer, type TestRedis } from './throwaway-redis';

const HOST = '127.0.0.1';
/** Full syncs start at once (Redis otherwise waits 5 s to batch replicas), so a test's replica is in sync quickly. */
const DATA_NODE_ARGS = ['--repl-diskless-sync-delay', '0'];

/** How many replicas of the master on `port` are in sync (state=online). */
function replicasOnline(port: number): number {
  return (redisCli(port, 'INFO', 'replication').match(/^slave\d+:.*state=online/gm) ?? []).length;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** A port whose cluster bus port (port + 10000) is free too, below 55536 so the bus port is valid. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) {
      taken.add(port).add(port + 10_000);
      return port;
    }
  }
}

function redisCli(port: number, ...args: string[]): string {
  const result = spawnSync('redis-cli', ['-h', HOST, '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`;
}

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  return gone;
}

export interface TestSentinelSet {
  target: Extract<RedisTarget, { kind: 'sentinel' }>;
  /** REDIS_* variables that point a process at this set. */
  env: Record<string, string>;
  masterName: string;
  /** The data node that is master now, as the Sentinels say. */
  currentMasterPort(): number;
  /** SIGKILLs the current master; resolves when the Sentinels have promoted the replica. */
  killMaster(): Promise<{ killedPort: number; newMasterPort: number }>;
  /**
   * Starts a killed node again on its port, as a replica of the current master (as an orchestrator
   * restarting it would, and as the Sentinels would reconfigure it); resolves once it is in sync.
   */
  restartAsReplica(port: number): Promise<void>;
  /** Every pid started, to check at the end that none is left running. */
  readonly pids: number[];
  stop(): Promise<void>;
}

/**
 * A master, `replicas` replicas and three Sentinels (quorum 2), each Sentinel with its own writable
 * config file. Resolves once the Sentinels know the replicas and each other, so a failover can be elected.
 */
export async function startSentinelSet({ replicas = 1, downAfterMs = 1000 } = {}): Promise<TestSentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'omikai-sentinel-'));
  const masterName = 'omikai';
  const nodes: TestRedis[] = [];
  const sentinels: { port: number; process: ChildProcess }[] = [];
  const stopAll = async () => {
    await Promise.all([
      ...nodes.map((node) => killAndWait(node.process, 'SIGKILL')),
      ...sentinels.map((s) => killAndWait(s.process, 'SIGKILL')),
    ]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // A replica stores the master's snapshot in its --dir: the set's own directory, never the caller's.
    const master = await startRedisServer([...DATA_NODE_ARGS, '--dir', dir]);
    nodes.push(master);
    for (let i = 0; i < replicas; i += 1) {
      const replicaDir = join(dir, `replica-${i}`);
      mkdirSync(replicaDir);
      nodes.push(await startRedisServer([...DATA_NODE_ARGS, '--dir', replicaDir, '--replicaof', HOST, String(master.port)]));
    }
    await until('the replicas in sync', () => replicasOnline(master.port) === replicas, 15_000);
    const taken = new Set<number>();
    for (let i = 0; i < 3; i += 1) {
      const port = await freeClusterPort(taken);
      const file = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${masterName} ${HOST} ${master.port} 2`,
          `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} 1`,
          '',
        ].join('\n'),
      );
      const child = spawn('redis-server', [file, '--sentinel'], { stdio: 'ignore' });
      sentinels.push({ port, process: child });
    }
    await until(
      'the Sentinels meeting each other and the replicas',
      () =>
        sentinels.every(({ port }) => {
          const info = redisCli(port, 'SENTINEL', 'MASTER', masterName);
          return /num-other-sentinels\n2\n/.test(info) && new RegExp(`num-slaves\\n${replicas}\\n`).test(info);
        }),
      30_000,
    );
  } catch (err: unknown) {
    await stopAll();
    throw err;
  }
  const sentinelHosts: RedisHostPort[] = sentinels.map(({ port }) => ({ host: HOST, port }));
  const currentMasterPort = () => {
    for (const { port } of sentinels) {
      const [, masterPort] = redisCli(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName).trim().split('\n');
      if (masterPort) return Number(masterPort);
    }
    throw new Error('no Sentinel answered');
  };
  return {
    target: { kind: 'sentinel', sentinels: sentinelHosts, masterName },
    env: {
      REDIS_URL: '',
      REDIS_SENTINELS: sentinelHosts.map(({ host, port }) => `${host}:${port}`).join(','),
      REDIS_SENTINEL_MASTER: masterName,
    },
    masterName,
    currentMasterPort,
    get pids() {
      return [...nodes.map((node) => node.process.pid ?? -1), ...sentinels.map((s) => s.process.pid ?? -1)];
    },
    async killMaster() {
      const killedPort = currentMasterPort();
      const node = nodes.find((candidate) => candidate.port === killedPort);
      if (!node) throw new Error(`the master on port ${killedPort} is not one of ours`);
      await killAndWait(node.process, 'SIGKILL');
      await until('the Sentinels promoting a replica', () => currentMasterPort() !== killedPort, 30_000);
      const newMasterPort = currentMasterPort();
      await until('the new master accepting writes', () => redisCli(newMasterPort, 'INFO', 'replication').includes('role:master'), 15_000);
      return { killedPort, newMasterPort };
    },
    async restartAsReplica(port) {
      const masterPort = currentMasterPort();
      const before = replicasOnline(masterPort);
      const restartDir = join(dir, `restarted-${port}`);
      mkdirSync(restartDir, { recursive: true });
      nodes.push(await startRedisServer([...DATA_NODE_ARGS, '--dir', restartDir, '--replicaof', HOST, String(masterPort)], port));
      await until('the restarted node in sync', () => replicasOnline(masterPort) > before, 30_000);
    },
    stop: stopAll,
  };
}

export interface TestCluster {
  target: Extract<RedisTarget, { kind: 'cluster' }>;
  env: Record<string, string>;
  ports: number[];
  /** SIGKILLs the master owning `slot`; resolves when its replica has taken over and the cluster is ok. */
  killMasterOfSlot(slot: number): Promise<{ killedPort: number; newMasterPort: number }>;
  /** Starts a killed node again from its nodes.conf: it rejoins as a replica of the node that took over; resolves once in sync. */
  restartNode(port: number): Promise<void>;
  readonly pids: number[];
  stop(): Promise<void>;
}

function slotOwner(port: number, slot: number): number | undefined {
  const lines = redisCli(port, 'CLUSTER', 'NODES').trim().split('\n');
  for (const line of lines) {
    const fields = line.split(' ');
    if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue;
    for (const range of fields.slice(8)) {
      const [from, to = from] = range.split('-').map(Number);
      if (from !== undefined && to !== undefined && slot >= from && slot <= to) return Number(fields[1]?.split(':')[1]?.split('@')[0]);
    }
  }
  return undefined;
}

/** `masters` masters with `replicasPerMaster` replicas each, all slots assigned, cluster_state:ok. */
export async function startCluster({ masters = 3, replicasPerMaster = 0, nodeTimeoutMs = 1000 } = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'omikai-cluster-'));
  const nodes: TestRedis[] = [];
  const killOnExit = () => nodes.forEach((node) => node.process.kill('SIGKILL'));
  process.once('exit', killOnExit);
  const stopAll = async () => {
    process.removeListener('exit', killOnExit);
    await Promise.all(nodes.map((node) => killAndWait(node.process, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  };
  const taken = new Set<number>();
  const nodeArgs = (port: number) => [
    ...DATA_NODE_ARGS,
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout',
    String(nodeTimeoutMs),
    '--dir',
    dir,
  ];
  try {
    for (let i = 0; i < masters * (1 + replicasPerMaster); i += 1) {
      const port = await freeClusterPort(taken);
      nodes.push(await startRedisServer(nodeArgs(port), port));
    }
    const created = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `${HOST}:${node.port}`),
        '--cluster-replicas',
        String(replicasPerMaster),
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    await until(
      'cluster_state:ok on every node',
      () => nodes.every((node) => redisCli(node.port, 'CLUSTER', 'INFO').includes('cluster_state:ok')),
      30_000,
    );
  } catch (err: unknown) {
    await stopAll();
    throw err;
  }
  const hosts = nodes.map((node) => ({ host: HOST, port: node.port }));
  const alive = () => nodes.filter((node) => node.process.exitCode === null && node.process.signalCode === null);
  return {
    target: { kind: 'cluster', nodes: hosts },
    env: { REDIS_URL: '', REDIS_CLUSTER_NODES: hosts.map(({ host, port }) => `${host}:${port}`).join(',') },
    ports: nodes.map((node) => node.port),
    get pids() {
      return nodes.map((node) => node.process.pid ?? -1);
    },
    async killMasterOfSlot(slot) {
      const killedPort = slotOwner(alive()[0]!.port, slot);
      const node = nodes.find((candidate) => candidate.port === killedPort);
      if (!node) throw new Error(`no master of ours owns slot ${slot}`);
      await killAndWait(node.process, 'SIGKILL');
      let newMasterPort: number | undefined;
      await until(
        'a replica taking over the slot',
        () => {
          const survivor = alive()[0]!.port;
          newMasterPort = slotOwner(survivor, slot);
          return (
            newMasterPort !== undefined &&
            newMasterPort !== killedPort &&
            redisCli(survivor, 'CLUSTER', 'INFO').includes('cluster_state:ok')
          );
        },
        30_000,
      );
      return { killedPort: killedPort!, newMasterPort: newMasterPort! };
    },
    async restartNode(port) {
      nodes.push(await startRedisServer(nodeArgs(port), port));
      await until(
        'the restarted node in sync as a replica',
        () => /role:slave[\s\S]*master_link_status:up/.test(redisCli(port, 'INFO', 'replication')),
        30_000,
      );
    },
    stop: stopAll,
  };
}
