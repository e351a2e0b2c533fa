// App-only access tokens for Microsoft Graph: one MSAL client per credential set, tokens reused
// until shortly before they expire, and concurrent first requests sharing one network call.
import { createHash } from 'node:crypto';
import { ConfidentialClientApplication, LogLevel, type Configuration, type INetworkModule } from '@azure/msal-node';
import type { Logger } from 'pino';
import { DeliveryError, withTimeout } from '@omikai/graph-mailer-client';
import type { GraphCredentials } from '../settings/resolve-sender';
import { endpointsForAccount, type CloudEndpoints } from './clouds';
import { tenantIdOfToken } from './token-claims';
import { checkTenantId, classifyTokenError } from './token-errors';

/** An app-only access token, and the tenant Entra issued it for. */
export interface AppToken {
  accessToken: string;
  /**
   * The token's `tid` claim: the tenant's GUID whatever the Tenant ID setting's spelling (GUID or
   * domain), and never a value someone merely typed. When the token is not a readable JWT, the
   * configured Tenant ID (Entra accepted it, so the credentials belong to that tenant), lower-cased.
   */
  tenantId: string;
}

export interface TokenProvider {
  getAccessToken(credentials: GraphCredentials): Promise<AppToken>;
}

/** Renew this long before expiry, as MSAL does, so no send goes out with a token about to lapse. */
const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;
const MAX_CLIENTS = 1_000;

interface ClientEntry {
  app: ConfidentialClientApplication;
  endpoints: CloudEndpoints;
  token?: AppToken;
  expiresAtMs: number;
  pending?: Promise<AppToken>;
}

const MICROSOFT_LOGIN_HOSTS = new Set(['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn']);

export interface MsalTokenProviderOptions {
  /** The configured cloud (MS_GRAPH_CLOUD and overrides); credentials.cloud may name another. */
  cloud: CloudEndpoints;
  logger: Logger;
  timeoutMs: number;
  now?: () => number;
  /** MSAL's HTTP client; default MSAL's own. Tests pass one that records the hosts and scopes asked for. */
  networkClient?: INetworkModule;
}

export class MsalTokenProvider implements TokenProvider {
  private readonly clients = new Map<string, ClientEntry>();
  private readonly keys = new WeakMap<GraphCredentials, string>();
  /** Token requests that went to Entra (cache hits are not counted). */
  tokenRequests = 0;

  constructor(private readonly options: MsalTokenProviderOptions) {}

  async getAccessToken(credentials: GraphCredentials): Promise<AppToken> {
    const entry = this.clientFor(credentials);
    const now = (this.options.now ?? Date.now)();
    if (entry.token && entry.expiresAtMs - RENEW_BEFORE_EXPIRY_MS > now) return entry.token;
    entry.pending ??= this.acquire(entry, credentials).finally(() => {
      entry.pending = undefined;
    });
    return entry.pending;
  }

  private async acquire(entry: ClientEntry, credentials: GraphCredentials): Promise<AppToken> {
    this.tokenRequests += 1;
    try {
      const result = await withTimeout(
        entry.app.acquireTokenByClientCredential({ scopes: [entry.endpoints.scope] }),
        this.options.timeoutMs,
        () => Object.assign(new Error('Token request timed out'), { errorCode: 'TokenTimeout' }),
      );
      if (!result?.accessToken) throw new Error('Microsoft Entra returned no access token');
      // Read once per token, not per send.
      let tenantId = tenantIdOfToken(result.accessToken);
      if (tenantId === undefined) {
        this.options.logger.warn(
          { clientId: credentials.clientId },
          'the access token carries no readable tid claim; flow control keys this tenant by its configured Tenant ID',
        );
        tenantId = credentials.tenantId.toLowerCase();
      }
      entry.token = { accessToken: result.accessToken, tenantId };
      entry.expiresAtMs = result.expiresOn?.getTime() ?? 0;
      return entry.token;
    } catch (err: unknown) {
      throw new DeliveryError(classifyTokenError(err, { ...credentials, cloud: entry.endpoints.cloud }), { cause: err });
    }
  }

  /** The client cache key per credentials object, so the secret is hashed once per credentials object, not per send. */
  private keyFor(credentials: GraphCredentials, endpoints: CloudEndpoints): string {
    let key = this.keys.get(credentials);
    if (key === undefined) {
      key = createHash('sha256')
        .update([endpoints.loginBaseUrl, endpoints.scope, credentials.tenantId, credentials.clientId, ...proofOf(credentials)].join('\0'))
        .digest('base64');
      this.keys.set(credentials, key);
    }
    return key;
  }

  private clientFor(credentials: GraphCredentials): ClientEntry {
    const endpoints = endpointsForAccount(this.options.cloud, credentials.cloud);
    const key = this.keyFor(credentials, endpoints);
    const existing = this.clients.get(key);
    if (existing) return existing;

    const tenantProblem = checkTenantId(credentials.tenantId);
    if (tenantProblem) throw new DeliveryError(tenantProblem);
    if (this.clients.size >= MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value!);

    const { loginBaseUrl } = endpoints;
    const loginHost = new URL(loginBaseUrl).host;
    const logger = this.options.logger;
    const authority = `${loginBaseUrl}/${credentials.tenantId}`;
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: credentials.clientId,
        ...msalCredential(credentials),
        authority,
        // The endpoints follow a fixed pattern; giving them saves a metadata request per credential set and
        // lets a wrong tenant fail at the token endpoint with its AADSTS code instead of a generic
        // endpoints_resolution_error.
        authorityMetadata: JSON.stringify({
          token_endpoint: `${authority}/oauth2/v2.0/token`,
          authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
          issuer: `${authority}/v2.0`,
          jwks_uri: `${authority}/discovery/v2.0/keys`,
        }),
        // A login host MSAL does not know (a proxy, the simulator) must be declared to skip instance discovery.
        ...(MICROSOFT_LOGIN_HOSTS.has(loginHost) ? {} : { knownAuthorities: [loginHost] }),
      },
      system: {
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: LogLevel.Warning,
          loggerCallback: (_level, message) => logger.debug({ msal: message }, 'msal'),
        },
        ...(this.options.networkClient ? { networkClient: this.options.networkClient } : {}),
      },
    });
    const entry: ClientEntry = { app, endpoints, expiresAtMs: 0 };
    this.clients.set(key, entry);
    return entry;
  }
}

/** What proves the app's identity, for the client cache key (hashed, never kept in clear). */
function proofOf(credentials: GraphCredentials): string[] {
  return credentials.certificate
    ? ['certificate', credentials.certificate.thumbprintSha256, credentials.certificate.privateKeyPem]
    : ['secret', credentials.clientSecret];
}

function msalCredential(credentials: GraphCredentials): Pick<Configuration['auth'], 'clientSecret' | 'clientCertificate'> {
  if (!credentials.certificate) return { clientSecret: credentials.clientSecret };
  const { thumbprintSha256, privateKeyPem, x5c } = credentials.certificate;
  return { clientCertificate: { thumbprintSha256, privateKey: privateKeyPem, ...(x5c ? { x5c } : {}) } };
}
