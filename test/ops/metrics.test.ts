// /metrics, /healthz and /readyz of a worker after real sends through the pipeline and the simulator.
import { createRedisConnection } from '@omikai/graph-mailer-client';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/logging/logger';
import { capturedLogger } from '../support/captured-logger';
import { startOpsHttpServer, type OpsHttpServer } from '../../src/ops/ops-http-server';
import { registerQueueMetrics } from '../../src/ops/queue-metrics';
import { deliveryStoreReadiness, redisReadiness, runReadinessChecks } from '../../src/ops/readiness';
import { registerSendMetrics, registerTokenRequestMetric } from '../../src/ops/send-metrics';
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { PIPELINE_TENANTS, accountDocument, sampleEmail } from '../support/test-pipeline';
import { sampleValue } from './support/http';
import { openObservedPipelines, startObservedPipeline, type ObservedPipeline } from './support/observed-pipeline';

const logger = createLogger({ level: 'silent' });
let simulator: GraphSimulator;
let pipeline: ObservedPipeline | undefined;
let server: OpsHttpServer | undefined;

beforeAll(async () => {
  simulator = await startGraphSimulator({ tenants: PIPELINE_TENANTS });
});
afterAll(() => simulator.close());
beforeEach(() => simulator.reset());
afterEach(async () => {
  await server?.close();
  await pipeline?.close();
  server = undefined;
  pipeline = undefined;
  expect(openObservedPipelines()).toBe(0);
});

describe('a worker after a few sends', () => {
  it('reports sends by outcome and category, latency, throttling, token requests and queue depth', async () => {
    const registry = new Registry();
    const { observer } = registerSendMetrics(registry);
    pipeline = await startObservedPipeline({
      simulator,
      observer,
      documents: {
        accounts: [accountDocument('acc-1'), accountDocument('acc-blocked', { senderEmail: 'blocked@contoso.example' })],
        users: [],
      },
    });
    const { runtime, producer, connection, deliveries } = pipeline;
    registerTokenRequestMetric(registry, () => runtime.tokens.tokenRequests);
    registerQueueMetrics(registry, { queue: producer.queue, logger });
    server = await startOpsHttpServer({
      host: '127.0.0.1',
      port: 0,
      portVariable: 'WORKER_METRICS_PORT',
      registry,
      logger,
      readiness: [redisReadiness(connection), deliveryStoreReadiness(deliveries)],
    });

    simulator.inject({ on: 'sendMail', kind: 'status', status: 429, retryAfter: '0', mailbox: 'info@contoso.example' });
    const jobs = await producer.enqueueMany([sampleEmail(), sampleEmail(), sampleEmail(), sampleEmail({ accountId: 'acc-blocked' })]);
    const ends = await Promise.all(jobs.map(({ jobId }) => pipeline!.waitForEnd(jobId)));
    expect(ends.sort()).toEqual(['completed', 'completed', 'completed', 'failed']);

    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const queue = producer.queue.name;
    expect(text).toContain('# HELP omikai_email_send_attempts_total Send attempts by outcome');
    expect(sampleValue(text, 'omikai_email_send_attempts_total', { outcome: 'sent', category: 'none' })).toBe(3);
    expect(sampleValue(text, 'omikai_email_send_attempts_total', { outcome: 'retry', category: 'throttled' })).toBe(1);
    expect(sampleValue(text, 'omikai_email_send_attempts_total', { outcome: 'failed', category: 'policy-denied' })).toBe(1);
    expect(sampleValue(text, 'omikai_email_throttle_deferrals_total')).toBe(1);
    expect(sampleValue(text, 'omikai_email_send_duration_seconds_count', { outcome: 'sent' })).toBe(3);
    expect(sampleValue(text, 'omikai_email_send_duration_seconds_bucket', { outcome: 'sent', le: '+Inf' })).toBe(3);
    expect(sampleValue(text, 'omikai_email_token_requests_total')).toBe(simulator.stats.tokenRequests);
    expect(simulator.stats.tokenRequests).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'omikai_email_queue_jobs', { queue, state: 'completed' })).toBe(3);
    expect(sampleValue(text, 'omikai_email_queue_jobs', { queue, state: 'failed' })).toBe(1);
    expect(sampleValue(text, 'omikai_email_queue_jobs', { queue, state: 'waiting' })).toBe(0);
    expect(sampleValue(text, 'omikai_email_queue_paused', { queue })).toBe(0);
    expect(sampleValue(text, 'omikai_email_oldest_waiting_job_age_seconds', { queue })).toBe(0);
  });

  it('token requests are counted once per scrape, not again on the next scrape', async () => {
    const registry = new Registry();
    let tokenRequests = 2;
    registerTokenRequestMetric(registry, () => tokenRequests);
    expect(sampleValue(await registry.metrics(), 'omikai_email_token_requests_total')).toBe(2);
    expect(sampleValue(await registry.metrics(), 'omikai_email_token_requests_total')).toBe(2);
    tokenRequests = 5;
    expect(sampleValue(await registry.metrics(), 'omikai_email_token_requests_total')).toBe(5);
  });
});

describe('queue gauges', () => {
  it('report the age of the oldest waiting job and a paused queue', async () => {
    const queue = new Queue(`test-${randomUUID()}`, { connection: { url: process.env.REDIS_URL! } });
    try {
      await queue.pause();
      const oldest = await queue.add('send-email', { subject: 'first' });
      await queue.add('send-email', { subject: 'second' });
      const registry = new Registry();
      registerQueueMetrics(registry, { queue, logger, now: () => oldest.timestamp + 90_000 });
      const text = await registry.metrics();
      expect(sampleValue(text, 'omikai_email_oldest_waiting_job_age_seconds', { queue: queue.name })).toBe(90);
      expect(sampleValue(text, 'omikai_email_queue_jobs', { queue: queue.name, state: 'waiting' })).toBe(2);
      expect(sampleValue(text, 'omikai_email_queue_paused', { queue: queue.name })).toBe(1);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});

describe('health endpoints', () => {
  const registry = new Registry();

  it('/healthz answers while the process runs; /readyz says which dependency is down', async () => {
    // Port 1: nothing listens there, so the connection is refused and not retried.
    const deadRedis = createRedisConnection({ kind: 'single', url: 'redis://127.0.0.1:1' }, 'producer', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    deadRedis.on('error', () => {});
    await expect(deadRedis.connect()).rejects.toThrow();
    server = await startOpsHttpServer({
      host: '127.0.0.1',
      port: 0,
      portVariable: 'WORKER_METRICS_PORT',
      registry,
      logger,
      readiness: [redisReadiness(deadRedis), deliveryStoreReadiness({ find: async () => [] })],
    });
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', checks: { redis: 'failed', deliveryStore: 'ok' } });
    const notFound = await fetch(`${server.url}/nothing-here`);
    expect([notFound.status, await notFound.json()]).toEqual([404, { error: 'Not found: try /healthz, /readyz or /metrics' }]);
    const post = await fetch(`${server.url}/metrics`, { method: 'POST' });
    expect([post.status, await post.json()]).toEqual([405, { error: 'Only GET' }]);
  });

  it('/readyz names the dependency that is down but not its error, which goes to the log', async () => {
    const captured = capturedLogger('warn');
    const internal = 'connect ECONNREFUSED 10.1.2.3:27017 (mongodb://omikai:Pa55w0rd@db-internal.contoso.local)';
    server = await startOpsHttpServer({
      host: '127.0.0.1',
      port: 0,
      portVariable: 'WORKER_METRICS_PORT',
      registry,
      logger: captured.logger,
      readiness: [deliveryStoreReadiness({ find: async () => Promise.reject(new Error(internal)) })],
    });
    const ready = await fetch(`${server.url}/readyz`);
    const body = await ready.text();
    expect([ready.status, JSON.parse(body)]).toEqual([503, { status: 'not ready', checks: { deliveryStore: 'failed' } }]);
    expect(body).not.toContain('ECONNREFUSED');
    expect(captured.entries()).toEqual([
      expect.objectContaining({ msg: 'not ready', checks: { deliveryStore: 'failed' }, problems: { deliveryStore: internal } }),
    ]);
  });

  it('an endpoint that breaks answers 500 without its error text', async () => {
    const broken = new Registry();
    broken.metrics = async () => Promise.reject(new Error('internal detail: /srv/omikai/secret-path'));
    server = await startOpsHttpServer({
      host: '127.0.0.1',
      port: 0,
      portVariable: 'WORKER_METRICS_PORT',
      registry: broken,
      logger,
      readiness: [],
    });
    const response = await fetch(`${server.url}/metrics`);
    expect([response.status, await response.json()]).toEqual([500, { error: 'internal error; see the log' }]);
  });

  it('/readyz is ready when Redis and the delivery store answer', async () => {
    const redis = createRedisConnection({ kind: 'single', url: process.env.REDIS_URL! }, 'producer');
    server = await startOpsHttpServer({
      host: '127.0.0.1',
      port: 0,
      portVariable: 'WORKER_METRICS_PORT',
      registry,
      logger,
      readiness: [redisReadiness(redis), deliveryStoreReadiness({ find: async () => [] })],
    });
    const ready = await fetch(`${server.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', deliveryStore: 'ok' } });
    expect(ready.status).toBe(200);
    await redis.quit();
  });

  it('a store that hangs makes readiness fail after the timeout instead of hanging the probe', async () => {
    const report = await runReadinessChecks([deliveryStoreReadiness({ find: () => new Promise(() => {}) })], 50);
    expect(report).toEqual({
      ready: false,
      checks: { deliveryStore: 'failed' },
      problems: { deliveryStore: 'deliveryStore did not answer within 50 ms' },
    });
  });

  it('a taken port is refused with the variable to change', async () => {
    server = await startOpsHttpServer({ host: '127.0.0.1', port: 0, portVariable: 'WORKER_METRICS_PORT', registry, logger, readiness: [] });
    await expect(
      startOpsHttpServer({ host: '127.0.0.1', port: server.port, portVariable: 'WORKER_METRICS_PORT', registry, logger, readiness: [] }),
    ).rejects.toThrow(/set WORKER_METRICS_PORT to a free port, or to 0/);
  });
});
