// Tenants and request helpers shared by the simulator's own tests.
import { type GraphSimulator, type StartSimulatorOptions, startGraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import type { SimulatorTenant } from '../../tools/graph-simulator/directory';

export const TENANT_ID = 'aaaaaaaa-0000-4000-8000-000000000001';
export const OTHER_TENANT_ID = 'bbbbbbbb-0000-4000-8000-000000000002';

export const CLIENTS = {
  good: { clientId: 'c0000000-0000-4000-8000-000000000001', clientSecret: 'good-secret' },
  withoutMailSend: { clientId: 'c0000000-0000-4000-8000-000000000002', clientSecret: 's2' },
  expiredSecret: { clientId: 'c0000000-0000-4000-8000-000000000003', clientSecret: 's3', secretExpired: true },
  noServicePrincipal: { clientId: 'c0000000-0000-4000-8000-000000000004', clientSecret: 's4', noServicePrincipal: true },
  otherTenant: { clientId: 'c0000000-0000-4000-8000-000000000005', clientSecret: 's5' },
} as const;

export const MAILBOXES = {
  info: 'info@contoso.example',
  sales: 'sales@contoso.example',
  blocked: 'blocked@contoso.example',
  inactive: 'inactive@contoso.example',
  otherTenant: 'someone@fabrikam.example',
} as const;

export const TEST_TENANTS: SimulatorTenant[] = [
  {
    tenantId: TENANT_ID,
    domains: ['contoso.example'],
    clients: [CLIENTS.good, { ...CLIENTS.withoutMailSend, roles: [] }, CLIENTS.expiredSecret, CLIENTS.noServicePrincipal],
    mailboxes: [
      { address: MAILBOXES.info },
      { address: MAILBOXES.sales },
      { address: MAILBOXES.blocked, blockedByPolicy: true },
      { address: MAILBOXES.inactive, notEnabledForRest: true },
    ],
  },
  {
    tenantId: OTHER_TENANT_ID,
    clients: [CLIENTS.otherTenant],
    mailboxes: [{ address: MAILBOXES.otherTenant }],
  },
];

/**
 * Starts a fresh simulator before each test and closes it after; returns a getter for it.
 * Call at the top of a describe block.
 */
export function useGraphSimulator(options: Partial<StartSimulatorOptions> = {}): () => GraphSimulator {
  let simulator: GraphSimulator | undefined;
  beforeEach(async () => {
    simulator = await startGraphSimulator({ tenants: TEST_TENANTS, ...options });
  });
  afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
  });
  return () => {
    if (!simulator) throw new Error('The simulator only exists inside a test.');
    return simulator;
  };
}

export interface TokenRequest {
  tenant?: string;
  clientId?: string;
  clientSecret?: string;
  scope?: string;
  extra?: Record<string, string>;
}

/** A raw client-credentials POST, as MSAL would send it. */
export function requestToken(simulator: GraphSimulator, request: TokenRequest = {}): Promise<Response> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: request.clientId ?? CLIENTS.good.clientId,
    client_secret: request.clientSecret ?? CLIENTS.good.clientSecret,
    scope: request.scope ?? `${simulator.url}/.default`,
    ...request.extra,
  });
  return fetch(`${simulator.url}/${request.tenant ?? TENANT_ID}/oauth2/v2.0/token`, { method: 'POST', body: form });
}

export async function accessToken(
  simulator: GraphSimulator,
  client: { clientId: string; clientSecret: string } = CLIENTS.good,
  tenant = TENANT_ID,
): Promise<string> {
  const response = await requestToken(simulator, { tenant, clientId: client.clientId, clientSecret: client.clientSecret });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`No token for ${client.clientId}: ${JSON.stringify(body)}`);
  return body.access_token;
}

export function messageTo(...addresses: string[]): { message: Record<string, unknown> } {
  return {
    message: {
      subject: 'Invoice 1042',
      body: { contentType: 'Text', content: 'Please find the invoice attached.' },
      toRecipients: addresses.map((address) => ({ emailAddress: { address } })),
    },
  };
}

export function sendMail(
  simulator: GraphSimulator,
  token: string | undefined,
  mailbox: string,
  body: unknown = messageTo('customer@example.com'),
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${simulator.url}/v1.0/users/${encodeURIComponent(mailbox)}/sendMail`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The parsed Graph error body, for asserting on code and message. */
export async function graphError(response: Response): Promise<{ code: string; message: string; innerError: Record<string, string> }> {
  const body = (await response.json()) as { error: { code: string; message: string; innerError: Record<string, string> } };
  return body.error;
}

export interface EntraErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri?: string;
}
