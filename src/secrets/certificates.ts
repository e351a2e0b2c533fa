// Certificate credentials: checks the private key, certificate and thumbprint an admin stored,
// so a mistake is named before MSAL signs anything with them.
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';

export type CertificateProblemCode =
  | 'CertificateKeyUnreadable'
  | 'CertificateKeyEncrypted'
  | 'CertificateKeyNotRsa'
  | 'CertificateUnreadable'
  | 'CertificateKeyMismatch'
  | 'CertificateThumbprintMismatch'
  | 'CertificateThumbprintMissing'
  | 'CertificateThumbprintSha1'
  | 'CertificateThumbprintInvalid';

export interface CertificateInput {
  privateKeyPem: string;
  /** SHA-256 (64 hex digits); the SHA-1 one the portal shows is accepted when the certificate is there too. */
  thumbprint?: string;
  /** The public certificate (PEM): lets us derive the thumbprint and expiry, and is sent as x5c. */
  certificatePem?: string;
}

export type CertificateCheck =
  { ok: true; thumbprintSha256: string; x5c?: string; notAfter?: Date } | { ok: false; code: CertificateProblemCode; problem: string };

const SHA256_HEX = /^[0-9A-F]{64}$/;
const SHA1_HEX = /^[0-9A-F]{40}$/;
const FINGERPRINT_COMMAND = 'openssl x509 -in cert.pem -noout -fingerprint -sha256';

/** Upper-case hex without the colons and spaces tools print between bytes. */
export function normalizeThumbprint(value: string): string {
  return value.replace(/[\s:]/g, '').toUpperCase();
}

function readPrivateKey(pem: string): { key: KeyObject } | { code: CertificateProblemCode; problem: string } {
  try {
    return { key: createPrivateKey(pem) };
  } catch (err: unknown) {
    // Only the error code is looked at: a message from the PEM parser is never passed on.
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ERR_MISSING_PASSPHRASE' || /ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(pem)) {
      return {
        code: 'CertificateKeyEncrypted',
        problem:
          'private key is protected by a passphrase; store it without one (openssl pkey -in key.pem -out key-plain.pem), it is encrypted at rest here',
      };
    }
    return { code: 'CertificateKeyUnreadable', problem: 'private key is not a PEM private key (-----BEGIN PRIVATE KEY-----)' };
  }
}

// Parsing a key and a certificate costs about 0.4 ms, paid on every job of a certificate account;
// the answer depends only on the input, so recent answers are kept (by hash, never the key itself).
const MAX_REMEMBERED = 1_000;
const remembered = new Map<string, CertificateCheck>();

/** Checks the parts against each other; the problem text never quotes the key. */
export function checkCertificateCredential(input: CertificateInput): CertificateCheck {
  const key = createHash('sha256')
    .update([input.privateKeyPem, input.thumbprint ?? '', input.certificatePem ?? ''].join('\0'))
    .digest('base64');
  const known = remembered.get(key);
  if (known) return known;
  const check = checkUncached(input);
  if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
  remembered.set(key, check);
  return check;
}

function checkUncached({ privateKeyPem, thumbprint, certificatePem }: CertificateInput): CertificateCheck {
  const privateKey = readPrivateKey(privateKeyPem);
  if (!('key' in privateKey)) return { ok: false, ...privateKey };
  if (privateKey.key.asymmetricKeyType !== 'rsa') {
    return { ok: false, code: 'CertificateKeyNotRsa', problem: 'private key is not an RSA key; Entra app certificates use RSA' };
  }
  const given = thumbprint === undefined ? undefined : normalizeThumbprint(thumbprint);

  if (certificatePem !== undefined) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(certificatePem);
    } catch {
      return { ok: false, code: 'CertificateUnreadable', problem: 'certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----)' };
    }
    if (!certificate.checkPrivateKey(privateKey.key)) {
      return { ok: false, code: 'CertificateKeyMismatch', problem: 'private key does not belong to the certificate stored with it' };
    }
    const sha256 = createHash('sha256').update(certificate.raw).digest('hex').toUpperCase();
    const sha1 = createHash('sha1').update(certificate.raw).digest('hex').toUpperCase();
    if (given !== undefined && given !== sha256 && given !== sha1) {
      return {
        ok: false,
        code: 'CertificateThumbprintMismatch',
        problem: `thumbprint ${given.slice(0, 64)} is not the certificate's (SHA-256 ${sha256}); store that one or none`,
      };
    }
    return { ok: true, thumbprintSha256: sha256, x5c: certificatePem, notAfter: new Date(certificate.validTo) };
  }

  if (given === undefined) {
    return {
      ok: false,
      code: 'CertificateThumbprintMissing',
      problem: `has no thumbprint; store the certificate itself (public PEM) or its SHA-256 thumbprint (${FINGERPRINT_COMMAND})`,
    };
  }
  if (SHA1_HEX.test(given)) {
    return {
      ok: false,
      code: 'CertificateThumbprintSha1',
      problem:
        `thumbprint is a SHA-1 thumbprint (40 hex digits, as the Entra portal shows); MSAL needs the SHA-256 one: ` +
        `store the certificate itself (public PEM) or the output of ${FINGERPRINT_COMMAND}`,
    };
  }
  if (!SHA256_HEX.test(given)) {
    return {
      ok: false,
      code: 'CertificateThumbprintInvalid',
      problem: `thumbprint is not 64 hex digits (a SHA-256 thumbprint); get it with ${FINGERPRINT_COMMAND}`,
    };
  }
  return { ok: true, thumbprintSha256: given };
}
