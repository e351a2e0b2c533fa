// National clouds: the login host, Graph host and token scope used for each cloud, and for an
// account whose own cloud setting overrides MS_GRAPH_CLOUD.
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import pino from 'pino';
import type { CloudName } from '../../src/graph/clouds';
import { resolveCloudEndpoints, type CloudEndpoints } from '../../src/graph/clouds';
import { GraphMailClient } from '../../src/graph/graph-mail-client';
import { MsalTokenProvider } from '../../src/graph/token-provider';
import type { GraphCredentials } from '../../src/settings/resolve-sender';

const TENANT = '11111111-1111-4111-8111-111111111111';
const credentials: GraphCredentials = { tenantId: TENANT, clientId: '22222222-2222-4222-8222-222222222222', clientSecret: 'secret' };
const body = {
  message: { subject: 's', body: { contentType: 'Text' as const, content: 'c' }, toRecipients: [], ccRecipients: [], bccRecipients: [] },
  saveToSentItems: false,
};

/** Stands in for MSAL's HTTP client: records each request and answers with a token. */
class RecordingNetwork implements INetworkModule {
  readonly requests: { method: string; url: string; form: URLSearchParams }[] = [];

  async sendGetRequestAsync<T>(url: string): Promise<NetworkResponse<T>> {
    this.requests.push({ method: 'GET', url, form: new URLSearchParams() });
    throw new Error(`unexpected GET ${url}`);
  }

  async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    this.requests.push({ method: 'POST', url, form: new URLSearchParams(options?.body ?? '') });
    return { status: 200, headers: {}, body: { token_type: 'Bearer', expires_in: 3599, access_token: 'header.payload.signature' } as T };
  }
}

function recordingFetch() {
  const urls: string[] = [];
  const fetchImpl = (async (input: string | URL | Request) => {
    urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    return new Response(null, { status: 202 });
  }) as typeof fetch;
  return { urls, fetchImpl };
}

async function hostsUsed(configured: CloudEndpoints, route: { sender: string; credentials: GraphCredentials }) {
  const network = new RecordingNetwork();
  const tokens = new MsalTokenProvider({ cloud: configured, logger: pino({ level: 'silent' }), timeoutMs: 5000, networkClient: network });
  const { urls, fetchImpl } = recordingFetch();
  const graph = new GraphMailClient({ graphBaseUrl: configured.graphBaseUrl, cloud: configured.cloud, timeoutMs: 5000, fetch: fetchImpl });
  const { accessToken } = await tokens.getAccessToken(route.credentials);
  await graph.sendMail(route, body, accessToken, 'client-request-id');
  const [tokenRequest] = network.requests;
  const tokenUrl = tokenRequest ? `${new URL(tokenRequest.url).origin}${new URL(tokenRequest.url).pathname}` : undefined;
  return { tokenUrl, scope: tokenRequest?.form.get('scope'), graphUrl: urls[0], requests: network.requests.length };
}

const CLOUDS: [CloudName, string, string][] = [
  ['global', 'login.microsoftonline.com', 'graph.microsoft.com'],
  ['usgov', 'login.microsoftonline.us', 'graph.microsoft.us'],
  ['usgov-dod', 'login.microsoftonline.us', 'dod-graph.microsoft.us'],
  ['china', 'login.chinacloudapi.cn', 'microsoftgraph.chinacloudapi.cn'],
];

describe('national clouds', () => {
  it.each(CLOUDS)('MS_GRAPH_CLOUD=%s signs in at %s and sends through %s with the matching scope', async (cloud, login, graph) => {
    const used = await hostsUsed(resolveCloudEndpoints(cloud), { sender: 'info@contoso.example', credentials });
    expect(used).toEqual({
      tokenUrl: `https://${login}/${TENANT}/oauth2/v2.0/token`,
      scope: `https://${graph}/.default`,
      graphUrl: `https://${graph}/v1.0/users/info%40contoso.example/sendMail`,
      requests: 1,
    });
  });

  it.each(CLOUDS)(
    "an account whose cloud is %s uses that cloud's hosts while the worker is configured for another",
    async (cloud, login, graph) => {
      const configured = resolveCloudEndpoints(cloud === 'global' ? 'china' : 'global');
      const used = await hostsUsed(configured, { sender: 'info@contoso.example', credentials: { ...credentials, cloud } });
      expect(used).toMatchObject({
        tokenUrl: `https://${login}/${TENANT}/oauth2/v2.0/token`,
        scope: `https://${graph}/.default`,
        graphUrl: `https://${graph}/v1.0/users/info%40contoso.example/sendMail`,
      });
    },
  );

  it('an account in the configured cloud keeps the base-URL overrides (a proxy, the simulator)', async () => {
    const configured = resolveCloudEndpoints('usgov', {
      loginBaseUrl: 'https://login.proxy.example',
      graphBaseUrl: 'https://graph.proxy.example',
    });
    const used = await hostsUsed(configured, { sender: 'info@contoso.example', credentials: { ...credentials, cloud: 'usgov' } });
    expect(used).toMatchObject({
      tokenUrl: `https://login.proxy.example/${TENANT}/oauth2/v2.0/token`,
      scope: 'https://graph.proxy.example/.default',
      graphUrl: 'https://graph.proxy.example/v1.0/users/info%40contoso.example/sendMail',
    });
  });

  it('keeps one cached token per cloud: the same app in two clouds is two sign-ins', async () => {
    const network = new RecordingNetwork();
    const tokens = new MsalTokenProvider({
      cloud: resolveCloudEndpoints('global'),
      logger: pino({ level: 'silent' }),
      timeoutMs: 5000,
      networkClient: network,
    });
    await tokens.getAccessToken(credentials);
    await tokens.getAccessToken(credentials);
    await tokens.getAccessToken({ ...credentials, cloud: 'usgov' });
    expect(network.requests.map((r) => new URL(r.url).host)).toEqual(['login.microsoftonline.com', 'login.microsoftonline.us']);
  });
});
