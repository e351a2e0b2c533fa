// End to end: MSAL and fetch against a real simulator over HTTPS.
import { ConfidentialClientApplication } from '@azure/msal-node';
import { connect } from 'node:tls';
import type { GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { emptyStats } from '../../tools/graph-simulator/simulator-state';
import { CLIENTS, MAILBOXES, TENANT_ID, messageTo, sendMail, useGraphSimulator } from './simulator-test-kit';

/** The MSAL configuration the worker needs against the simulator (or any non-Microsoft authority). */
function msalFor(simulator: GraphSimulator, clientSecret: string, tenant = TENANT_ID): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: CLIENTS.good.clientId,
      clientSecret,
      authority: `${simulator.url}/${tenant}`,
      // Without this MSAL asks login.microsoftonline.com for instance discovery and fails.
      knownAuthorities: [`localhost:${simulator.port}`],
    },
  });
}

describe('Graph simulator with MSAL', () => {
  const simulator = useGraphSimulator();

  it('issues a token to MSAL that sendMail accepts with 202, and records the message', async () => {
    const result = await msalFor(simulator(), CLIENTS.good.clientSecret).acquireTokenByClientCredential({
      scopes: [`${simulator().url}/.default`],
    });
    expect(result?.tokenType).toBe('Bearer');
    expect(simulator().stats.tokenRequests).toBe(1);

    const response = await sendMail(simulator(), result?.accessToken, MAILBOXES.info, messageTo('customer@example.com'), {
      'client-request-id': 'c1d2e3f4-0000-4000-8000-000000000009',
    });

    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
    expect(simulator().sent).toEqual([
      expect.objectContaining({
        mailbox: MAILBOXES.info,
        message: messageTo('customer@example.com').message,
        saveToSentItems: true,
        requestId: response.headers.get('request-id'),
        clientRequestId: 'c1d2e3f4-0000-4000-8000-000000000009',
        tenantId: TENANT_ID,
        appId: CLIENTS.good.clientId,
      }),
    ]);
    expect(simulator().stats).toEqual({
      ...emptyStats(),
      tokenRequests: 1,
      sendMailRequests: 1,
      accepted: 1,
      tlsConnections: expect.any(Number),
    });
  });

  it('accepts the tenant domain as authority, as Entra does', async () => {
    const result = await msalFor(simulator(), CLIENTS.good.clientSecret, 'contoso.example').acquireTokenByClientCredential({
      scopes: ['https://graph.microsoft.com/.default'],
    });
    expect((await sendMail(simulator(), result?.accessToken, MAILBOXES.info)).status).toBe(202);
  });

  it('surfaces a wrong secret as an MSAL error naming AADSTS7000215', async () => {
    const attempt = msalFor(simulator(), 'the-secret-id-not-its-value').acquireTokenByClientCredential({
      scopes: [`${simulator().url}/.default`],
    });
    await expect(attempt).rejects.toMatchObject({
      errorCode: 'invalid_client',
      message: expect.stringContaining('AADSTS7000215'),
    });
  });

  it('makes MSAL fail endpoint discovery (not the token call) for an unknown tenant, as real Entra does', async () => {
    const attempt = msalFor(simulator(), CLIENTS.good.clientSecret, 'dddddddd-0000-4000-8000-00000000dead').acquireTokenByClientCredential({
      scopes: [`${simulator().url}/.default`],
    });
    await expect(attempt).rejects.toMatchObject({ errorCode: 'endpoints_resolution_error' });
    expect(simulator().stats.tokenRequests).toBe(0);
  });
});

describe('Graph simulator responses and lifecycle', () => {
  const simulator = useGraphSimulator();

  it('stamps every answer with a new request-id, the echoed client-request-id and a Date', async () => {
    const first = await sendMail(simulator(), undefined, MAILBOXES.info, messageTo('a@example.com'), {
      'client-request-id': 'my-correlation-id',
    });
    const second = await fetch(`${simulator().url}/v1.0/no/such/route`);

    expect(first.headers.get('client-request-id')).toBe('my-correlation-id');
    expect(first.headers.get('date')).toEqual(expect.any(String));
    expect(first.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.headers.get('request-id')).not.toBe(first.headers.get('request-id'));
    expect(second.status).toBe(404);
    expect(await second.json()).toEqual({ error: expect.objectContaining({ code: 'UnknownRoute' }) });
  });

  it('closes promptly despite an idle keep-alive connection and a client that never sends a request', async () => {
    await fetch(`${simulator().url}/_simulator/stats`); // leaves a pooled keep-alive connection
    const silent = connect({ host: '127.0.0.1', port: simulator().port, servername: 'localhost' });
    silent.on('error', () => undefined); // the simulator cuts it off; that is the point
    const silentClosed = new Promise((resolve) => silent.once('close', resolve));

    const startedAt = Date.now();
    await simulator().close();

    expect(Date.now() - startedAt).toBeLessThan(1000);
    await silentClosed;
  });
});
