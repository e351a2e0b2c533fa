// The keep-alive https transport under the Graph SDK, against the simulator.
import { createHttpsFetch, HttpsFetchError } from '../../src/graph/https-fetch';
import { freePort } from '../../tools/redis/throwaway-redis';
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { PIPELINE_TENANTS, TENANT_ID, CLIENT } from '../support/test-pipeline';

let simulator: GraphSimulator;
let token: string;
const httpsFetch = createHttpsFetch({ maxSockets: 4 });
const message = {
  message: { subject: 's', body: { contentType: 'Text', content: 'x' }, toRecipients: [{ emailAddress: { address: 'a@example.com' } }] },
};

beforeAll(async () => {
  simulator = await startGraphSimulator({ tenants: PIPELINE_TENANTS });
  const response = await httpsFetch(`${simulator.url}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      ...{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret },
      scope: `${simulator.url}/.default`,
    }).toString(),
  });
  token = ((await response.json()) as { access_token: string }).access_token;
});
afterAll(() => simulator.close());
beforeEach(() => simulator.reset());

const sendMail = (init: RequestInit = {}) =>
  httpsFetch(`${simulator.url}/v1.0/users/info%40contoso.example/sendMail`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'client-request-id': 'c-1' },
    body: JSON.stringify(message),
    ...init,
  });

describe('createHttpsFetch', () => {
  it('returns a Response with status, headers and an empty body for 202', async () => {
    const response = await sendMail();
    expect(response.status).toBe(202);
    expect(response.headers.get('request-id')).toBe(simulator.sent[0]?.requestId);
    expect(response.headers.get('client-request-id')).toBe('c-1');
    expect(await response.text()).toBe('');
  });

  it('returns error bodies as JSON, with Retry-After', async () => {
    simulator.inject({ on: 'sendMail', kind: 'status', status: 429, retryAfter: '3' });
    const response = await sendMail();
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await response.json()).toMatchObject({ error: { code: 'ApplicationThrottled' } });
  });

  it('sends one request after another over one TLS connection (keep-alive)', async () => {
    const connectionsBefore = simulator.stats.tlsConnections;
    for (let i = 0; i < 5; i += 1) expect((await sendMail()).status).toBe(202);
    // The token request in beforeAll may have left its connection open: at most one new one.
    expect(simulator.stats.tlsConnections - connectionsBefore).toBeLessThanOrEqual(1);
    expect(simulator.sent).toHaveLength(5);
  });

  it('reuses connections across many requests', async () => {
    const responses = await Promise.all(Array.from({ length: 40 }, () => sendMail()));
    expect(responses.every((r) => r.status === 202)).toBe(true);
    expect(simulator.sent).toHaveLength(40);
  });

  it('says the request was not sent when the connection was refused', async () => {
    const port = await freePort();
    const error = await httpsFetch(`https://localhost:${port}/v1.0/users/x/sendMail`, { method: 'POST', body: '{}' }).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(HttpsFetchError);
    expect(error).toMatchObject({ requestSent: false, cause: { code: 'ECONNREFUSED' } });
  });

  it('says the request was sent when the connection dropped after it was written', async () => {
    simulator.inject({ on: 'sendMail', kind: 'accept-then-reset' });
    const error = await sendMail().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(HttpsFetchError);
    expect(error).toMatchObject({ requestSent: true });
    expect(simulator.sent).toHaveLength(1);
  });

  it('stops waiting when the signal aborts', async () => {
    simulator.setLatencyMs(2000);
    const controller = new AbortController();
    const pending = sendMail({ signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    simulator.setLatencyMs(0);
  });
});
