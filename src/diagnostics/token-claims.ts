// Reads the claims of an app-only access token for diagnostics only: the signature is Graph's to check.

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
