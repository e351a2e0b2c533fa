// Certificate credentials: checks a client assertion (RFC 7523 JWT) the way Entra does, against
// the certificates uploaded to the app: thumbprint, signature, client, audience, time.
import { X509Certificate, constants, createHash, verify } from 'node:crypto';
import type { SimulatorClient } from './directory';
import { type EntraError, entraErrors } from './entra-errors';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Entra tolerates this much clock difference on nbf and exp. */
const LEEWAY_SECONDS = 300;

interface AssertionRequest {
  assertion: string;
  assertionType: string | null;
  client: SimulatorClient;
  clientId: string;
  /** The tenant segment of the URL and the tenant's ID: the audience may name either. */
  tenantNames: string[];
  nowSeconds: number;
}

interface DecodedAssertion {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

function decode(assertion: string): DecodedAssertion | undefined {
  const [header, payload, signature, ...rest] = assertion.split('.');
  if (!header || !payload || !signature || rest.length > 0) return undefined;
  try {
    const parse = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    const [h, c] = [parse(header), parse(payload)];
    if (typeof h !== 'object' || h === null || typeof c !== 'object' || c === null) return undefined;
    return {
      header: h as Record<string, unknown>,
      claims: c as Record<string, unknown>,
      signingInput: `${header}.${payload}`,
      signature: Buffer.from(signature, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

/** The uploaded certificate the header's x5t#S256 (or SHA-1 x5t) names. */
function findCertificate(client: SimulatorClient, header: Record<string, unknown>): { certificate?: X509Certificate; thumbprint: string } {
  const sha256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
  const sha1 = typeof header.x5t === 'string' ? header.x5t : undefined;
  const wanted = Buffer.from(sha256 ?? sha1 ?? '', 'base64url');
  const algorithm = sha256 ? 'sha256' : 'sha1';
  for (const pem of client.certificates ?? []) {
    const certificate = new X509Certificate(pem);
    if (createHash(algorithm).update(certificate.raw).digest().equals(wanted))
      return { certificate, thumbprint: wanted.toString('hex').toUpperCase() };
  }
  return { thumbprint: wanted.toString('hex').toUpperCase() };
}

function signatureValid(decoded: DecodedAssertion, certificate: X509Certificate): boolean {
  const alg = decoded.header.alg;
  const input = Buffer.from(decoded.signingInput);
  try {
    if (alg === 'RS256') return verify('sha256', input, certificate.publicKey, decoded.signature);
    if (alg === 'PS256') {
      const key = { key: certificate.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      return verify('sha256', input, key, decoded.signature);
    }
  } catch {
    return false;
  }
  return false;
}

/** The Entra error for an assertion that does not prove the client's identity, or undefined when it does. */
export function checkClientAssertion(request: AssertionRequest): EntraError | undefined {
  if (request.assertionType !== JWT_BEARER_ASSERTION) return entraErrors.missingParameter('client_assertion_type');
  const decoded = decode(request.assertion);
  if (!decoded) return entraErrors.clientAssertionSignatureInvalid();

  const { certificate, thumbprint } = findCertificate(request.client, decoded.header);
  if (!certificate) return entraErrors.certificateNotRegistered(thumbprint, request.client.clientId);
  if (!signatureValid(decoded, certificate)) return entraErrors.clientAssertionSignatureInvalid();

  const { iss, sub, aud, nbf, exp } = decoded.claims;
  const clientId = request.clientId.toLowerCase();
  if (String(iss).toLowerCase() !== clientId || String(sub).toLowerCase() !== clientId) return entraErrors.assertionClientMismatch();
  const audience = String(aud);
  const audienceOk = request.tenantNames.some((tenant) => audience.toLowerCase().endsWith(`/${tenant.toLowerCase()}/oauth2/v2.0/token`));
  if (!audienceOk) return entraErrors.assertionAudienceInvalid(audience);
  const notBefore = typeof nbf === 'number' ? nbf : 0;
  const expires = typeof exp === 'number' ? exp : 0;
  if (request.nowSeconds + LEEWAY_SECONDS < notBefore || request.nowSeconds - LEEWAY_SECONDS > expires) {
    return entraErrors.assertionOutsideValidity(request.nowSeconds, notBefore, expires);
  }
  return undefined;
}
