// The simulator certificate: generated once, reused while valid, replaced before it expires.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureSimulatorCertificate, generateCertificate } from '../../tools/graph-simulator/tls';

describe('ensureSimulatorCertificate', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'simulator-tls-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a CA certificate for localhost and 127.0.0.1, valid for a year', async () => {
    const created = await ensureSimulatorCertificate(dir);
    const x509 = new X509Certificate(await readFile(created.certPath));

    expect(x509.subject).toBe('CN=localhost');
    expect(x509.ca).toBe(true);
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const validDays = (Date.parse(x509.validTo) - Date.now()) / 86_400_000;
    expect(validDays).toBeGreaterThan(364);
    expect(validDays).toBeLessThanOrEqual(366);
    expect(await readFile(created.keyPath, 'utf8')).toBe(created.key);
  });

  it('reuses a certificate that is still valid', async () => {
    const first = await ensureSimulatorCertificate(dir);
    const second = await ensureSimulatorCertificate(dir);

    expect(second.cert).toBe(first.cert);
  });

  it('replaces a certificate that expires within a day', async () => {
    const now = Date.now();
    const expiring = await generateCertificate(new Date(now - 86_400_000), new Date(now + 3_600_000));
    await writeFile(path.join(dir, 'cert.pem'), expiring.cert);
    await writeFile(path.join(dir, 'key.pem'), expiring.key);

    const replaced = await ensureSimulatorCertificate(dir);

    expect(replaced.cert).not.toBe(expiring.cert);
    expect(await readFile(path.join(dir, 'cert.pem'), 'utf8')).toBe(replaced.cert);
  });

  it('replaces a certificate whose key file does not match it', async () => {
    const first = await ensureSimulatorCertificate(dir);
    const stranger = await generateCertificate(new Date());
    await writeFile(path.join(dir, 'key.pem'), stranger.key);

    const replaced = await ensureSimulatorCertificate(dir);

    expect(replaced.cert).not.toBe(first.cert);
  });
});
