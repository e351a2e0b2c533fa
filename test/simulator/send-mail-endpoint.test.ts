// The simulated Graph sendMail: its checks, in Graph's order, with Graph's error codes.
import { MAX_SEND_MAIL_BYTES } from '../../tools/graph-simulator/send-mail-endpoint';
import {
  CLIENTS,
  MAILBOXES,
  OTHER_TENANT_ID,
  accessToken,
  graphError,
  messageTo,
  requestToken,
  sendMail,
  useGraphSimulator,
} from './simulator-test-kit';

describe('sendMail', () => {
  const simulator = useGraphSimulator();

  it('finds the mailbox from a URL-encoded, differently-cased address and records it lower-case', async () => {
    const token = await accessToken(simulator());
    const response = await sendMail(simulator(), token, 'Info@Contoso.Example', {
      ...messageTo('customer@example.com'),
      saveToSentItems: false,
    });

    expect(response.status).toBe(202);
    expect(simulator().sent).toEqual([expect.objectContaining({ mailbox: MAILBOXES.info, saveToSentItems: false })]);
  });

  it("answers errors in Graph's shape with the request-id inside and out", async () => {
    const response = await sendMail(simulator(), undefined, MAILBOXES.info, messageTo('a@example.com'), {
      'client-request-id': 'abc-123',
    });
    const error = await graphError(response);

    expect(error.innerError).toEqual({
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
      'request-id': response.headers.get('request-id'),
      'client-request-id': 'abc-123',
    });
    expect(simulator().stats).toMatchObject({ sendMailRequests: 1, accepted: 0, rejected: 1 });
  });

  describe('rejects bad tokens with 401 InvalidAuthenticationToken', () => {
    it('when the Authorization header is missing', async () => {
      const response = await sendMail(simulator(), undefined, MAILBOXES.info);
      expect(response.status).toBe(401);
      expect(await graphError(response)).toMatchObject({ code: 'InvalidAuthenticationToken', message: 'Access token is empty.' });
    });

    it('when the token was not issued by the simulator', async () => {
      const forged = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.e30.c2lnbmF0dXJl`;
      const response = await sendMail(simulator(), forged, MAILBOXES.info);
      expect(response.status).toBe(401);
      expect((await graphError(response)).code).toBe('InvalidAuthenticationToken');
    });

    it('when the token was issued for another resource than Graph', async () => {
      const tokenResponse = await requestToken(simulator(), { scope: 'api://some-other-api/.default' });
      const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
      const response = await sendMail(simulator(), token, MAILBOXES.info);
      expect(response.status).toBe(401);
      expect((await graphError(response)).message).toContain('Invalid audience');
    });
  });

  it("sends a 404 ErrorInvalidUser for a mailbox outside the token's tenant", async () => {
    const token = await accessToken(simulator());
    const response = await sendMail(simulator(), token, MAILBOXES.otherTenant);

    expect(response.status).toBe(404);
    expect(await graphError(response)).toMatchObject({
      code: 'ErrorInvalidUser',
      message: `The requested user '${MAILBOXES.otherTenant}' is invalid.`,
    });
  });

  it('sends a 404 MailboxNotEnabledForRESTAPI for an inactive mailbox', async () => {
    const response = await sendMail(simulator(), await accessToken(simulator()), MAILBOXES.inactive);
    expect(response.status).toBe(404);
    expect((await graphError(response)).code).toBe('MailboxNotEnabledForRESTAPI');
  });

  it('sends a 403 ErrorAccessDenied "Access is denied" when the token lacks the Mail.Send role', async () => {
    const response = await sendMail(simulator(), await accessToken(simulator(), CLIENTS.withoutMailSend), MAILBOXES.info);
    expect(response.status).toBe(403);
    expect(await graphError(response)).toMatchObject({
      code: 'ErrorAccessDenied',
      message: 'Access is denied. Check credentials and try again.',
    });
  });

  it('sends a 403 ErrorAccessDenied "Access to OData is disabled." for a mailbox excluded by policy', async () => {
    const response = await sendMail(simulator(), await accessToken(simulator()), MAILBOXES.blocked);
    expect(response.status).toBe(403);
    expect(await graphError(response)).toMatchObject({ code: 'ErrorAccessDenied', message: 'Access to OData is disabled.' });
  });

  it('sends a 413 for a body one byte over 4 MB, and accepts one of exactly 4 MB', async () => {
    const token = await accessToken(simulator());
    const bodyOfSize = (bytes: number): string => {
      const skeleton = JSON.stringify({ ...messageTo('a@example.com'), padding: '' });
      return skeleton.replace('"padding":""', `"padding":"${'x'.repeat(bytes - skeleton.length)}"`);
    };

    const tooLarge = await sendMail(simulator(), token, MAILBOXES.info, bodyOfSize(MAX_SEND_MAIL_BYTES + 1));
    const largest = await sendMail(simulator(), token, MAILBOXES.info, bodyOfSize(MAX_SEND_MAIL_BYTES));

    expect(tooLarge.status).toBe(413);
    expect((await graphError(tooLarge)).message).toBe('The maximum request length supported is 4MB.');
    expect(largest.status).toBe(202);
  });

  const badBodies: Array<{ name: string; body: unknown; status: number; code: string }> = [
    { name: 'invalid JSON', body: '{"message": ', status: 400, code: 'RequestBodyRead' },
    { name: 'no message', body: { saveToSentItems: true }, status: 400, code: 'RequestBodyRead' },
    { name: 'no recipients', body: messageTo(), status: 400, code: 'ErrorInvalidRecipients' },
    {
      name: '501 recipients',
      body: messageTo(...Array.from({ length: 501 }, (_, i) => `r${i}@example.com`)),
      status: 400,
      code: 'ErrorInvalidRecipients',
    },
    { name: 'a malformed recipient address', body: messageTo('not-an-address'), status: 400, code: 'ErrorInvalidRecipients' },
    {
      name: 'an empty internetMessageHeaders array',
      body: withHeaders([]),
      status: 400,
      code: 'InvalidInternetMessageHeaderCollection',
    },
    {
      name: 'six internetMessageHeaders',
      body: withHeaders(Array.from({ length: 6 }, (_, i) => ({ name: `x-h${i}`, value: 'v' }))),
      status: 400,
      code: 'InvalidInternetMessageHeaderCollection',
    },
    {
      name: 'a header name without x-',
      body: withHeaders([{ name: 'References', value: '<a@b>' }]),
      status: 400,
      code: 'InvalidInternetMessageHeader',
    },
    {
      name: 'a from address other than the mailbox',
      body: { message: { ...messageTo('a@example.com').message, from: { emailAddress: { address: 'ceo@contoso.example' } } } },
      status: 403,
      code: 'ErrorSendAsDenied',
    },
  ];

  it.each(badBodies)('rejects $name with $status $code and records nothing', async ({ body, status, code }) => {
    const response = await sendMail(simulator(), await accessToken(simulator()), MAILBOXES.info, body);

    expect(response.status).toBe(status);
    expect((await graphError(response)).code).toBe(code);
    expect(simulator().sent).toEqual([]);
  });

  it('accepts exactly 500 recipients across to, cc and bcc, and five x- headers', async () => {
    const addresses = Array.from({ length: 500 }, (_, i) => ({ emailAddress: { address: `r${i}@example.com` } }));
    const body = withHeaders(Array.from({ length: 5 }, (_, i) => ({ name: `X-Erp-${i}`, value: 'v' })));
    body.message.toRecipients = addresses.slice(0, 200);
    body.message.ccRecipients = addresses.slice(200, 400);
    body.message.bccRecipients = addresses.slice(400);

    const response = await sendMail(simulator(), await accessToken(simulator()), MAILBOXES.info, body);

    expect(response.status).toBe(202);
  });

  it('refuses an app token on /me/sendMail', async () => {
    const response = await fetch(`${simulator().url}/v1.0/me/sendMail`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await accessToken(simulator())}` },
      body: JSON.stringify(messageTo('a@example.com')),
    });
    expect(response.status).toBe(400);
    expect((await graphError(response)).message).toContain('/me request is only valid with delegated authentication flow');
  });
});

describe('sendMail with expiring tokens', () => {
  const simulator = useGraphSimulator({ tokenLifetimeSeconds: 0 });

  it('rejects an expired token with 401 InvalidAuthenticationToken', async () => {
    const response = await sendMail(simulator(), await accessToken(simulator()), MAILBOXES.info);

    expect(response.status).toBe(401);
    expect(await graphError(response)).toMatchObject({
      code: 'InvalidAuthenticationToken',
      message: 'Lifetime validation failed, the token is expired.',
    });
  });
});

describe('sendMail across tenants', () => {
  const simulator = useGraphSimulator();

  it("accepts a mailbox of the second tenant with that tenant's token", async () => {
    const token = await accessToken(simulator(), CLIENTS.otherTenant, OTHER_TENANT_ID);
    const response = await sendMail(simulator(), token, MAILBOXES.otherTenant);

    expect(response.status).toBe(202);
    expect(simulator().sent[0]).toMatchObject({ tenantId: OTHER_TENANT_ID, appId: CLIENTS.otherTenant.clientId });
  });
});

function withHeaders(headers: Array<{ name: string; value: string }>): { message: Record<string, unknown> } {
  const body = messageTo('a@example.com');
  body.message.internetMessageHeaders = headers;
  return body;
}
