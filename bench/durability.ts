// `npm run bench:durability`: what a replicated enqueue (ENQUEUE_DURABILITY=replicated, Redis WAIT for
// one replica) costs against an acknowledged one, on a master and one replica of real redis-server
// processes: latency of one enqueue at a time, and throughput with many enqueues in flight.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createEmailProducer, type EmailProducer, type EmailJobInput } from '@omikai/graph-mailer-client';
import { startRedisServer } from '../tools/redis/throwaway-redis';

const email = (index: number): EmailJobInput => ({
  accountId: `acc-${index % 7}`,
  to: [{ address: 'customer@example.com' }],
  subject: `Invoice ${index}`,
  html: '<p>Please find the invoice attached.</p>',
  idempotencyKey: `bench-${index}`,
});

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function measure(producer: EmailProducer, offset: number, count: number, inFlight: number) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const index = offset + next++;
        const t0 = performance.now();
        await producer.enqueue(email(index));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: Math.round(count / seconds), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: 'string', default: '2000' } } });
  const count = Number(values.count);
  // The replica stores the master's snapshot in its --dir: a temporary one, not the working directory.
  const dir = mkdtempSync(join(tmpdir(), 'omikai-durability-'));
  const master = await startRedisServer(['--repl-diskless-sync-delay', '0', '--dir', dir]);
  const replica = await startRedisServer(['--dir', dir, '--replicaof', '127.0.0.1', String(master.port)]);
  const rows: string[] = [];
  const results: Record<string, unknown> = {};
  try {
    for (const durability of ['acknowledged', 'replicated'] as const) {
      const producer = createEmailProducer({
        redis: { kind: 'single', url: master.url },
        queueName: `bench-durability-${durability}`,
        durability,
      });
      try {
        await measure(producer, 10_000_000, 200, 1); // warm-up: connections, scripts
        for (const inFlight of [1, 50]) {
          const result = await measure(producer, inFlight * 1_000_000, count, inFlight);
          results[`${durability}-${inFlight}`] = result;
          rows.push(
            `${durability.padEnd(12)} ${String(inFlight).padStart(3)} in flight: ${String(result.perSecond).padStart(6)} enqueues/s, ` +
              `p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`,
          );
        }
        await Promise.all(producer.queues.map((queue) => queue.obliterate({ force: true })));
      } finally {
        await producer.close();
      }
    }
  } finally {
    await replica.stop();
    await master.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`Enqueue cost, ${count} e-mails per row, master + 1 replica on loopback (one producer connection):`);
  for (const row of rows) console.log(`  ${row}`);
  console.log(JSON.stringify(results));
}

main().catch((err: unknown) => {
  console.error('bench:durability failed:', err);
  process.exitCode = 1;
});
