// Reads the claims of an app-only access token MSAL returned: for diagnostics, and for whom Entra
// issued it to. The signature is Graph's to check; the token came straight from Entra over TLS.

export interface AppTokenClaims {
  roles: string[];
  audience?: string;
  tenantId?: string;
  appId?: string;
}

/** The claims verify reports, or undefined when the token is not a readable JWT (Entra may change its format). */
export function readAppTokenClaims(accessToken: string): AppTokenClaims | undefined {
  const payload = accessToken.split('.')[1];
  if (payload === undefined) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { roles, aud, tid, appid, azp } = claims as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const appId = text(appid) ?? text(azp);
  return {
    roles: Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : [],
    ...(text(aud) ? { audience: text(aud) } : {}),
    ...(text(tid) ? { tenantId: text(tid) } : {}),
    ...(appId ? { appId } : {}),
  };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The token's `tid` (the tenant Entra signed the app into, always a GUID), or undefined when the
 * token is not a readable JWT or carries none. Microsoft may make Graph tokens opaque one day.
 */
export function tenantIdOfToken(accessToken: string): string | undefined {
  const tenantId = readAppTokenClaims(accessToken)?.tenantId;
  return tenantId !== undefined && GUID.test(tenantId) ? tenantId.toLowerCase() : undefined;
}
