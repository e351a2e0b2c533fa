// The worker package's entry. ERP code installs the client package instead (@omikai/graph-mailer-client,
// packages/client): it holds the job contract and the producer, re-exported here for older imports.
export * from '@omikai/graph-mailer-client';
export { encryptSecret } from './secrets/encrypted-secret';
export type { SecretBinding } from './secrets/encrypted-secret';
export { testConnection } from './diagnostics/connection-test';
export type { ConnectionReport, ConnectionStep, ConnectionTestInput, ConnectionTestDeps } from './diagnostics/connection-test';
