// Creates (or reuses) the simulator certificate before tests start; prints the path for NODE_EXTRA_CA_CERTS.
import { DEFAULT_TLS_DIR, ensureSimulatorCertificate } from './tls';

ensureSimulatorCertificate(DEFAULT_TLS_DIR).then(
  ({ certPath }) => {
    console.log(certPath);
  },
  (err: unknown) => {
    console.error('Could not prepare the Graph simulator certificate:', err);
    process.exitCode = 1;
  },
);
