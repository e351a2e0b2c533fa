// Bad input written straight to the queue never crashes a worker and never blocks the queue: each
// bad job fails at once with a reason naming the problem, and good jobs behind it are sent.
import { createRedisConnection } from '@omikai/graph-mailer-client';
import { sampleEmail, type TestPipeline, usePipelineFixture } from '../support/test-pipeline';

const fx = usePipelineFixture();
let pipeline: TestPipeline;

const valid = { ...sampleEmail(), schemaVersion: 1 };

describe('poison jobs', () => {
  it.each<[string, unknown, RegExp]>([
    ['an old schema version', { ...valid, schemaVersion: 0 }, /schemaVersion: must be one of 1, 2/],
    ['an unknown field', { ...valid, from: 'ceo@contoso.example' }, /Unrecognized key.*from/],
    ['a 5 MB subject', { ...valid, subject: 'x'.repeat(5_000_000) }, /subject: .*998/],
    ['wrong types', { ...valid, to: 'customer@example.com', saveToSentItems: 'yes' }, /to: .*saveToSentItems: /],
    ['no data at all', null, /Invalid e-mail job: \(job\): /],
    ['an array instead of an object', [valid], /Invalid e-mail job/],
    ['a lone surrogate in the subject', { ...valid, subject: 'Invoice \uD800' }, /subject: is not valid UTF-8 text/],
    [
      'CR LF in a custom header value',
      { ...valid, headers: { 'x-erp-ref': '1042\r\nBcc: attacker@evil.example' } },
      /headers\.x-erp-ref: must not contain control characters/,
    ],
    [
      'a control character in an attachment content type',
      { ...valid, attachments: [{ name: 'a.pdf', contentType: 'application/pdf\n', contentBase64: 'JVBERi0=' }] },
      /attachments\[0\]\.contentType: must not contain control characters/,
    ],
  ])('%s fails at once with [invalid-payload] and the reason', async (_case, data, reason) => {
    pipeline = await fx.start();
    const bad = await pipeline.queue.add('send-email', data as never, { attempts: 5 });
    const good = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(bad.id!);
    expect(end).toMatchObject({ state: 'failed', job: { attemptsMade: 1 } });
    expect(end.state === 'failed' && end.reason).toMatch(/^\[invalid-payload\] /);
    expect(end.state === 'failed' && end.reason).toMatch(reason);
    expect(await pipeline.waitForEnd(good.jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent).toHaveLength(1);
  });

  it('a subject with CR LF written by another producer is sent, with the control characters as spaces', async () => {
    pipeline = await fx.start();
    const job = await pipeline.queue.add(
      'send-email',
      { ...valid, subject: 'Invoice 1042\r\nBcc: attacker@evil.example' },
      { attempts: 5 },
    );
    expect(await pipeline.waitForEnd(job.id!)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent.map((sent) => (sent.message as { subject?: unknown }).subject)).toEqual([
      'Invoice 1042  Bcc: attacker@evil.example',
    ]);
  });

  it('bytes that are not UTF-8, written with a raw Redis client, fail with a clear reason', async () => {
    pipeline = await fx.start();
    const job = await pipeline.queue.add('send-email', valid, { attempts: 5, delay: 60_000 });
    const raw = createRedisConnection({ kind: 'single', url: process.env.REDIS_URL! }, 'producer');
    // Put two bytes that are not UTF-8 inside the subject string: "subject":"Invoice <ff fe>".
    const data = Buffer.from(JSON.stringify({ ...valid, subject: 'Invoice __' }));
    const at = data.indexOf('__');
    data[at] = 0xff;
    data[at + 1] = 0xfe;
    await raw.hset(`bull:${pipeline.queueName}:${job.id}`, 'data', data);
    raw.disconnect();
    await job.promote();

    const end = await pipeline.waitForEnd(job.id!);
    expect(end.state === 'failed' && end.reason).toMatch(/^\[invalid-payload\] .*subject: is not valid UTF-8 text/);
    expect(fx.simulator.sent).toHaveLength(0);
  });
});
