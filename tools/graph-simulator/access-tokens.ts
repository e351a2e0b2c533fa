// App-only access tokens the simulator issues and later accepts: JWTs signed with HMAC-SHA256.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export interface AccessTokenClaims {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  roles: string[];
  iat: number;
  nbf: number;
  exp: number;
}

export type TokenVerification =
  { valid: true; claims: AccessTokenClaims } | { valid: false; reason: 'malformed' | 'bad-signature' | 'expired' };

// One key per process: simulators in the same process accept each other's tokens, like one Entra cloud.
const SIGNING_KEY = randomBytes(32);

export function issueAccessToken(claims: AccessTokenClaims): string {
  const header = { typ: 'JWT', alg: 'HS256', kid: 'graph-simulator' };
  // ver/idtyp/uti make the token look like an Entra v1 app-only token to anyone decoding it.
  const payload = { ...claims, ver: '1.0', idtyp: 'app', uti: randomUUID() };
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  return `${signingInput}.${sign(signingInput)}`;
}

export function verifyAccessToken(token: string, nowSeconds: number): TokenVerification {
  const [header, payload, signature, ...rest] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) {
    return { valid: false, reason: 'malformed' };
  }
  const expected = Buffer.from(sign(`${header}.${payload}`));
  const actual = Buffer.from(signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return { valid: false, reason: 'bad-signature' };
  }
  const claims = decodeClaims(payload);
  if (!claims) return { valid: false, reason: 'malformed' };
  if (nowSeconds < claims.nbf || nowSeconds >= claims.exp) return { valid: false, reason: 'expired' };
  return { valid: true, claims };
}

function sign(signingInput: string): string {
  return createHmac('sha256', SIGNING_KEY).update(signingInput).digest('base64url');
}

function encodeSegment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeClaims(segment: string): AccessTokenClaims | undefined {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof decoded !== 'object' || decoded === null) return undefined;
  const claims = decoded as Record<string, unknown>;
  const { aud, iss, tid, appid, roles, iat, nbf, exp } = claims;
  if (
    typeof aud !== 'string' ||
    typeof iss !== 'string' ||
    typeof tid !== 'string' ||
    typeof appid !== 'string' ||
    !Array.isArray(roles) ||
    !roles.every((role): role is string => typeof role === 'string') ||
    typeof iat !== 'number' ||
    typeof nbf !== 'number' ||
    typeof exp !== 'number'
  ) {
    return undefined;
  }
  return { aud, iss, tid, appid, roles, iat, nbf, exp };
}
