// The package entry: what ERP code imports to queue e-mails, and the contract they follow.
export {
  createEmailProducer,
  idempotentJobId,
  DEFAULT_EMAIL_JOB_OPTIONS,
  GRAPH_BACKOFF_TYPE,
  QueueUnavailableError,
} from './jobs/producer';
export type { EmailProducer, EmailProducerOptions, EnqueuedEmail, EnqueueOptions } from './jobs/producer';
export { BULK_PRIORITY, priorityJobOptions, type EmailPriority } from './jobs/priority';
export { EnqueueNotReplicatedError } from './redis/replication';
export type { RedisTarget, RedisHostPort } from './redis/redis-connection';
export { queueShards, shardForAccount } from './jobs/queue-shards';
export type { QueueShard, QueueLayout } from './jobs/queue-shards';
export {
  EMAIL_QUEUE_NAME,
  SEND_EMAIL_JOB_NAME,
  EMAIL_JOB_SCHEMA_VERSION,
  MAX_RECIPIENTS,
  emailJobInputSchema,
  emailJobSchema,
  parseEmailJob,
  EmailJobValidationError,
} from './jobs/email-job';
export type { EmailJob, EmailJobInput, FieldProblem } from './jobs/email-job';
export { emailJobJsonSchema } from './jobs/json-schema';
export { DEFAULT_INLINE_MAX_BYTES } from './jobs/content-offload';
export type { EmailInput, AttachmentInput, BinaryAttachmentInput } from './jobs/content-offload';
export { GridFsPayloadStore, DEFAULT_CONTENT_BUCKET } from './content/gridfs-payload-store';
export { DirectoryPayloadStore } from './content/directory-payload-store';
export type { PayloadStore, PayloadWriter, PayloadMetadata } from './content/payload-store';
export type { DeliveryRecord, DeliveryStatus, DeliveryQuery } from './delivery/delivery-store';
export type { Failure, FailureCategory } from './delivery/failure';
export { encryptSecret } from './secrets/encrypted-secret';
export type { SecretBinding } from './secrets/encrypted-secret';
export { testConnection } from './diagnostics/connection-test';
export type { ConnectionReport, ConnectionStep, ConnectionTestInput, ConnectionTestDeps } from './diagnostics/connection-test';
