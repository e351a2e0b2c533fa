// Certificate credentials at the simulated token endpoint: the assertion's signature is checked
// against the certificates uploaded to the app, with Entra's error codes for each way it fails.
import { randomUUID, sign, constants } from 'node:crypto';
import { createAppCertificate, type AppCertificate } from '../../tools/graph-simulator/app-certificates';
import { JWT_BEARER_ASSERTION } from '../../tools/graph-simulator/client-assertion';
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { TENANT_ID, type EntraErrorBody } from './simulator-test-kit';

const CLIENT_ID = 'c0000000-0000-4000-8000-0000000000ce';
let uploaded: AppCertificate;
let other: AppCertificate;
let simulator: GraphSimulator;

beforeAll(async () => {
  [uploaded, other] = await Promise.all([createAppCertificate(), createAppCertificate()]);
  simulator = await startGraphSimulator({
    tenants: [
      {
        tenantId: TENANT_ID,
        clients: [{ clientId: CLIENT_ID, clientSecret: 'unused-secret', certificates: [uploaded.certificatePem] }],
        mailboxes: [{ address: 'info@contoso.example' }],
      },
    ],
  });
});
afterAll(() => simulator.close());
beforeEach(() => simulator.setClockSkewSeconds(0));

interface AssertionOptions {
  signWith?: AppCertificate;
  thumbprintOf?: AppCertificate;
  issuer?: string;
  audience?: string;
  issuedAt?: number;
  alg?: 'PS256' | 'RS256';
}

function assertion(options: AssertionOptions = {}): string {
  const alg = options.alg ?? 'PS256';
  const now = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const header = {
    alg,
    typ: 'JWT',
    'x5t#S256': Buffer.from((options.thumbprintOf ?? uploaded).thumbprintSha256, 'hex').toString('base64url'),
  };
  const issuer = options.issuer ?? CLIENT_ID;
  const claims = {
    aud: options.audience ?? `${simulator.url}/${TENANT_ID}/oauth2/v2.0/token`,
    iss: issuer,
    sub: issuer,
    jti: randomUUID(),
    nbf: now,
    exp: now + 600,
  };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const key = (options.signWith ?? uploaded).privateKeyPem;
  const signature =
    alg === 'PS256'
      ? sign('sha256', Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
      : sign('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

function requestWithAssertion(clientAssertion: string): Promise<Response> {
  return fetch(`${simulator.url}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      scope: `${simulator.url}/.default`,
      client_assertion_type: JWT_BEARER_ASSERTION,
      client_assertion: clientAssertion,
    }),
  });
}

async function entraCode(response: Response): Promise<{ status: number; code: number | undefined; description: string }> {
  const body = (await response.json()) as EntraErrorBody;
  return { status: response.status, code: body.error_codes[0], description: body.error_description };
}

describe('client assertions (certificate credentials)', () => {
  it.each(['PS256', 'RS256'] as const)('issues a token for an assertion signed (%s) with the uploaded certificate', async (alg) => {
    const response = await requestWithAssertion(assertion({ alg }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
  });

  it('refuses a certificate that is not uploaded with AADSTS700027 naming its thumbprint', async () => {
    const refused = await entraCode(await requestWithAssertion(assertion({ signWith: other, thumbprintOf: other })));
    expect(refused).toMatchObject({ status: 401, code: 700027 });
    expect(refused.description).toContain(`Thumbprint of key used by client: '${other.thumbprintSha256}'`);
  });

  it("refuses an assertion signed with another key than the named certificate's with AADSTS700027", async () => {
    const refused = await entraCode(await requestWithAssertion(assertion({ signWith: other, thumbprintOf: uploaded })));
    expect(refused).toMatchObject({ status: 401, code: 700027 });
    expect(refused.description).toContain('Client assertion failed signature validation.');
  });

  it('refuses an assertion that has expired by the simulated clock with AADSTS700024', async () => {
    simulator.setClockSkewSeconds(3600);
    const refused = await entraCode(await requestWithAssertion(assertion()));
    expect(refused).toMatchObject({ status: 401, code: 700024 });
    expect(refused.description).toContain('Client assertion is not within its valid time range.');
  });

  it('tolerates five minutes of clock difference, as Entra does', async () => {
    simulator.setClockSkewSeconds(-290);
    expect((await requestWithAssertion(assertion())).status).toBe(200);
  });

  it('refuses an assertion issued for another client (AADSTS700021) or another tenant (AADSTS700022)', async () => {
    expect(await entraCode(await requestWithAssertion(assertion({ issuer: 'someone-else' })))).toMatchObject({ code: 700021 });
    const otherTenant = `${simulator.url}/bbbbbbbb-0000-4000-8000-000000000002/oauth2/v2.0/token`;
    expect(await entraCode(await requestWithAssertion(assertion({ audience: otherTenant })))).toMatchObject({ code: 700022 });
  });
});
