// Certificate credentials are checked before MSAL uses them; each mistake is named without quoting the key.
import { generateKeyPairSync } from 'node:crypto';
import { checkCertificateCredential, normalizeThumbprint } from '../../src/secrets/certificates';
import { createAppCertificate, type AppCertificate } from '../../tools/graph-simulator/app-certificates';

let cert: AppCertificate;
let other: AppCertificate;
beforeAll(async () => {
  [cert, other] = await Promise.all([createAppCertificate(), createAppCertificate()]);
});

const problemOf = (input: Parameters<typeof checkCertificateCredential>[0]) => {
  const check = checkCertificateCredential(input);
  if (check.ok) throw new Error('expected a problem');
  expect(check.problem).not.toContain('PRIVATE KEY-----\n');
  return check;
};

describe('checkCertificateCredential', () => {
  it('takes the thumbprint, x5c and expiry from the certificate when it is stored', () => {
    expect(checkCertificateCredential({ privateKeyPem: cert.privateKeyPem, certificatePem: cert.certificatePem })).toEqual({
      ok: true,
      thumbprintSha256: cert.thumbprintSha256,
      x5c: cert.certificatePem,
      notAfter: expect.any(Date),
    });
  });

  it('accepts a SHA-256 thumbprint with colons and lower case, as openssl prints it', () => {
    const printed = cert.thumbprintSha256.toLowerCase().match(/../g)!.join(':');
    expect(checkCertificateCredential({ privateKeyPem: cert.privateKeyPem, thumbprint: printed })).toEqual({
      ok: true,
      thumbprintSha256: cert.thumbprintSha256,
    });
    expect(normalizeThumbprint(printed)).toBe(cert.thumbprintSha256);
  });

  it("accepts the portal's SHA-1 thumbprint when the certificate is there to compute the SHA-256 one", () => {
    const check = checkCertificateCredential({
      privateKeyPem: cert.privateKeyPem,
      thumbprint: cert.thumbprintSha1,
      certificatePem: cert.certificatePem,
    });
    expect(check).toMatchObject({ ok: true, thumbprintSha256: cert.thumbprintSha256 });
  });

  it.each([
    ['a key that is not PEM', () => ({ privateKeyPem: 'not a key', thumbprint: cert.thumbprintSha256 }), 'CertificateKeyUnreadable'],
    [
      'a passphrase-protected key',
      () => ({
        privateKeyPem: generateKeyPairSync('rsa', {
          modulusLength: 2048,
          privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' },
          publicKeyEncoding: { type: 'spki', format: 'pem' },
        }).privateKey,
        thumbprint: cert.thumbprintSha256,
      }),
      'CertificateKeyEncrypted',
    ],
    [
      'an EC key',
      () => ({
        privateKeyPem: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        thumbprint: cert.thumbprintSha256,
      }),
      'CertificateKeyNotRsa',
    ],
    ['a certificate that is not PEM', () => ({ privateKeyPem: cert.privateKeyPem, certificatePem: 'nope' }), 'CertificateUnreadable'],
    [
      'a key of another certificate',
      () => ({ privateKeyPem: other.privateKeyPem, certificatePem: cert.certificatePem }),
      'CertificateKeyMismatch',
    ],
    [
      "another certificate's thumbprint",
      () => ({ privateKeyPem: cert.privateKeyPem, certificatePem: cert.certificatePem, thumbprint: other.thumbprintSha256 }),
      'CertificateThumbprintMismatch',
    ],
    ['no thumbprint and no certificate', () => ({ privateKeyPem: cert.privateKeyPem }), 'CertificateThumbprintMissing'],
    [
      'only the SHA-1 thumbprint',
      () => ({ privateKeyPem: cert.privateKeyPem, thumbprint: cert.thumbprintSha1 }),
      'CertificateThumbprintSha1',
    ],
    ['a thumbprint that is not hex', () => ({ privateKeyPem: cert.privateKeyPem, thumbprint: 'xyz' }), 'CertificateThumbprintInvalid'],
  ])('names %s', (_case, input, code) => {
    expect(problemOf(input()).code).toBe(code);
  });
});
