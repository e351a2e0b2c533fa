// Certificates for simulated app registrations: an RSA key and a self-signed certificate, as an
// admin makes them with openssl before uploading the public part to Entra.
import { X509Certificate, createHash } from 'node:crypto';
import * as selfsigned from 'selfsigned';

export interface AppCertificate {
  certificatePem: string;
  privateKeyPem: string;
  /** Upper-case hex, as MSAL's thumbprintSha256 takes it. */
  thumbprintSha256: string;
  thumbprintSha1: string;
}

const DAY_MS = 24 * 3600_000;

export async function createAppCertificate(
  options: { notBefore?: Date; notAfter?: Date; commonName?: string } = {},
): Promise<AppCertificate> {
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS);
  const pems = await selfsigned.generate([{ name: 'commonName', value: options.commonName ?? 'omikai-erp-mailer' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: options.notAfter ?? new Date(notBefore.getTime() + 365 * DAY_MS),
  });
  const raw = new X509Certificate(pems.cert).raw;
  return {
    certificatePem: pems.cert,
    privateKeyPem: pems.private,
    thumbprintSha256: createHash('sha256').update(raw).digest('hex').toUpperCase(),
    thumbprintSha1: createHash('sha1').update(raw).digest('hex').toUpperCase(),
  };
}
