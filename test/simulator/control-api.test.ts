// The HTTP control API that benchmarks and the demo use to drive a simulator in another process.
import type { GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { emptyStats } from '../../tools/graph-simulator/simulator-state';
import { MAILBOXES, accessToken, sendMail, useGraphSimulator } from './simulator-test-kit';

function control(simulator: GraphSimulator, method: string, route: string, body?: unknown): Promise<Response> {
  return fetch(`${simulator.url}/_simulator/${route}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
}

describe('simulator control API over HTTPS', () => {
  const simulator = useGraphSimulator();

  it('queues a fault posted as JSON', async () => {
    const posted = await control(simulator(), 'POST', 'faults', { on: 'sendMail', kind: 'status', status: 429, retryAfter: '3' });
    const response = await sendMail(simulator(), await accessToken(simulator()), MAILBOXES.info);

    expect(posted.status).toBe(204);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
  });

  it('rejects a malformed fault with 400 and says why', async () => {
    const response = await control(simulator(), 'POST', 'faults', { on: 'sendMail', kind: 'explode' });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'SimulatorControlError', message: expect.stringContaining("'kind'") } });
  });

  it('lists sent messages and stats, and clears them on reset', async () => {
    await sendMail(simulator(), await accessToken(simulator()), MAILBOXES.info);

    const sent = (await (await control(simulator(), 'GET', 'sent')).json()) as { messages: unknown[] };
    const stats = await (await control(simulator(), 'GET', 'stats')).json();
    const reset = await control(simulator(), 'POST', 'reset');
    const statsAfterReset = await (await control(simulator(), 'GET', 'stats')).json();

    expect(sent.messages).toEqual([expect.objectContaining({ mailbox: MAILBOXES.info })]);
    expect(stats).toEqual({ ...emptyStats(), tokenRequests: 1, sendMailRequests: 1, accepted: 1, tlsConnections: expect.any(Number) });
    expect(reset.status).toBe(204);
    expect(statsAfterReset).toEqual({ ...emptyStats(), tlsConnections: expect.any(Number) });
    expect(simulator().sent).toEqual([]);
  });

  it('sets the sendMail latency', async () => {
    const put = await control(simulator(), 'PUT', 'latency', { ms: 200 });
    const startedAt = Date.now();
    await sendMail(simulator(), undefined, MAILBOXES.info);

    expect(put.status).toBe(204);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
  });

  it('reports health for readiness probes', async () => {
    expect(await (await control(simulator(), 'GET', 'health')).json()).toEqual({ ok: true });
  });
});
