// The client package: what ERP code needs to queue e-mails for the Omikai Graph mailer, and nothing
// else (no web server, no MSAL, no Graph SDK). The worker imports its contract from here too.
export * from './email-job';
export * from './producer';
export * from './content-offload';
export * from './email-content';
export * from './payload-store';
export * from './directory-payload-store';
export * from './send-mail-body';
export * from './json-schema';
export * from './delivery-store';
export * from './failure';
export * from './with-timeout';
export * from './connection-report';
export * from './priority';
export * from './queue-shards';
export * from './redis-connection';
export * from './replication';
