// The chaos run's own redis-server with AOF persistence, restartable on the same port and directory so
// the queue survives the restart.
import type { RedisTarget } from '@omikai/graph-mailer-client';
import { startRedisServer, type TestRedis } from '../../tools/redis/throwaway-redis';

export interface AofRedis {
  url: string;
  target: RedisTarget;
  /** The workers' REDIS_* variables. */
  env: Record<string, string>;
  /** Every pid started so far, to check at the end that none is left running. */
  readonly pids: number[];
  /** Stops Redis with `signal`, leaves it down for `downMs`, then starts it again from its AOF. */
  restart(downMs: number, signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export async function startAofRedis(dir: string): Promise<AofRedis> {
  const args = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir];
  let server: TestRedis | undefined = await startRedisServer(args);
  const { port, url } = server;
  const pids = [server.process.pid ?? -1];
  const killOnExit = () => server?.process.kill('SIGKILL');
  process.once('exit', killOnExit);

  async function stopServer(signal: NodeJS.Signals): Promise<void> {
    const child = server?.process;
    server = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await gone;
  }

  return {
    url,
    target: { kind: 'single', url },
    env: { REDIS_URL: url },
    pids,
    async restart(downMs, signal = 'SIGTERM') {
      await stopServer(signal);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      server = await startRedisServer(args, port);
      pids.push(server.process.pid ?? -1);
    },
    async stop() {
      await stopServer('SIGTERM');
      process.removeListener('exit', killOnExit);
    },
  };
}
