// Whom a token was issued to: the tenant in the token Entra returned (tid), not the Tenant ID as typed.
import type { INetworkModule, NetworkResponse } from '@azure/msal-node';
import { tenantIdOfToken } from '../../src/graph/token-claims';
import { MsalTokenProvider } from '../../src/graph/token-provider';
import { resolveCloudEndpoints } from '../../src/graph/clouds';
import { capturedLogger } from '../support/captured-logger';

const TID = '72F988BF-86F1-41AF-91AB-2D7CD011DB47';
const jwt = (claims: Record<string, unknown>) =>
  ['{"alg":"RS256","typ":"JWT"}', JSON.stringify(claims), 'signature']
    .map((part, i) => (i < 2 ? Buffer.from(part).toString('base64url') : part))
    .join('.');

/** Entra's token endpoint as MSAL's HTTP client sees it, answering with the given access token. */
function entraAnswering(accessToken: string): INetworkModule {
  return {
    sendGetRequestAsync: async () => {
      throw new Error('no GET expected');
    },
    sendPostRequestAsync: async <T>() =>
      ({ status: 200, headers: {}, body: { token_type: 'Bearer', expires_in: 3599, access_token: accessToken } }) as NetworkResponse<T>,
  };
}

async function tokenFor(accessToken: string, tenantId: string, logger = capturedLogger('warn').logger) {
  const provider = new MsalTokenProvider({
    cloud: resolveCloudEndpoints('global', {}),
    logger,
    timeoutMs: 5000,
    networkClient: entraAnswering(accessToken),
  });
  return provider.getAccessToken({ tenantId, clientId: '22222222-2222-4222-8222-222222222222', clientSecret: 'secret' });
}

describe('the tenant of an app token', () => {
  it("is the token's tid (lower-cased), whatever spelling of the tenant the settings hold", async () => {
    expect(await tokenFor(jwt({ tid: TID, appid: 'a' }), 'contoso.onmicrosoft.com')).toMatchObject({ tenantId: TID.toLowerCase() });
  });

  it('falls back to the configured Tenant ID, with a warning, when the token is not a readable JWT', async () => {
    const captured = capturedLogger('warn');
    expect(await tokenFor('opaque-token', 'Contoso.onmicrosoft.com', captured.logger)).toMatchObject({
      accessToken: 'opaque-token',
      tenantId: 'contoso.onmicrosoft.com',
    });
    expect(captured.entries()).toEqual([expect.objectContaining({ msg: expect.stringContaining('no readable tid claim') })]);
  });

  it('reads only a GUID tid', () => {
    expect(tenantIdOfToken(jwt({ tid: TID }))).toBe(TID.toLowerCase());
    expect(tenantIdOfToken(jwt({ tid: '{t:evil}' }))).toBeUndefined();
    expect(tenantIdOfToken(jwt({}))).toBeUndefined();
    expect(tenantIdOfToken('not-a-jwt')).toBeUndefined();
  });
});
