// Self-signed TLS certificate for the Graph simulator, trusted by clients through NODE_EXTRA_CA_CERTS.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as selfsigned from 'selfsigned';

/** Where the project keeps the simulator's certificate: `<repo>/.simulator-tls` (git-ignored). */
export const DEFAULT_TLS_DIR = path.resolve(__dirname, '..', '..', '.simulator-tls');

export interface SimulatorCertificate {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

const VALIDITY_DAYS = 365;
const MIN_REMAINING_VALIDITY_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Returns the certificate in `dir` (cert.pem + key.pem), generating a new one when it is missing,
 * unreadable, expires within a day, or does not belong to the key.
 *
 * The certificate is its own CA (CN=localhost, SAN DNS:localhost + IP:127.0.0.1), so pointing
 * NODE_EXTRA_CA_CERTS at cert.pem makes Node trust the simulator. NODE_EXTRA_CA_CERTS is read
 * once at process start: generate the certificate before starting the processes that trust it.
 */
export async function ensureSimulatorCertificate(dir: string): Promise<SimulatorCertificate> {
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');

  const existing = await readUsablePair(certPath, keyPath);
  if (existing) return { certPath, keyPath, ...existing };

  const generated = await generateCertificate(new Date());
  await mkdir(dir, { recursive: true });
  // Write each file under a temporary name and rename it, so a concurrent reader never sees half a file.
  await writeAtomically(keyPath, generated.key, 0o600);
  await writeAtomically(certPath, generated.cert, 0o644);
  return { certPath, keyPath, ...generated };
}

async function readUsablePair(certPath: string, keyPath: string): Promise<{ cert: string; key: string } | undefined> {
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  } catch (err: unknown) {
    if (isFileNotFound(err)) return undefined;
    throw err;
  }
  try {
    const x509 = new X509Certificate(cert);
    const remainingMs = new Date(x509.validTo).getTime() - Date.now();
    const usable = remainingMs > MIN_REMAINING_VALIDITY_MS && x509.checkPrivateKey(createPrivateKey(key));
    return usable ? { cert, key } : undefined;
  } catch {
    // Corrupt or foreign PEM files are replaced rather than reported: they are our own cache.
    return undefined;
  }
}

/** Generates the simulator certificate; exported for tests that need one with other dates. */
export async function generateCertificate(
  notBefore: Date,
  notAfter: Date = new Date(notBefore.getTime() + VALIDITY_DAYS * DAY_MS),
): Promise<{ cert: string; key: string }> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function writeAtomically(filePath: string, content: string, mode: number): Promise<void> {
  const temporaryPath = `${filePath}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporaryPath, content, { mode });
  await rename(temporaryPath, filePath);
}

// Structural check: under jest, fs errors come from another realm and fail `instanceof Error`.
function isFileNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT';
}
