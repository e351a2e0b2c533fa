// Decides whether a store error is an outage (wait for the store) or permanent (fail the job as [store]), from the
// MongoDB driver's own signals: its error classes, its error labels, and the one table of server codes below.
import mongoose from 'mongoose';
import { type Failure, toError } from '@omikai/graph-mailer-client';

export type StoreName = 'settings' | 'deliveries' | 'content';

export type StoreErrorClass = { kind: 'outage' } | { kind: 'permanent'; failure: Failure };

const { mongo } = mongoose;

/** Errors the driver raises when the server cannot be reached or is changing primaries. */
const OUTAGE_ERROR_CLASSES = [
  mongo.MongoNetworkError, // includes MongoNetworkTimeoutError
  mongo.MongoServerSelectionError,
  mongo.MongoNotConnectedError,
  mongo.MongoTopologyClosedError,
  mongo.MongoServerClosedError,
  mongo.MongoOperationTimeoutError,
  mongo.MongoStalePrimaryError,
];

/** Labels the server or driver puts on errors that a retry of the same operation can get past. */
const OUTAGE_LABELS = ['RetryableWriteError', 'TransientTransactionError', 'ResetPool', 'SystemOverloadedError', 'NoWritesPerformed'];

interface CodeAdvice {
  name: string;
  /** For a permanent code: what it means here, and what an admin does about it. */
  advice?: string;
}

const CHECK_SERVER = 'this worker needs MongoDB 6.0 or later (see docs/mongodb.md for what runs where)';

/**
 * Every MongoDB server code the worker treats specially. Codes without `advice` are outages (a replica
 * set electing a primary, a server shutting down, a write conflict): the job waits for the store.
 * Codes with `advice` are permanent: waiting does not fix them, an admin does.
 */
export const STORE_ERROR_CODES: ReadonlyMap<number, CodeAdvice> = new Map([
  [6, { name: 'HostUnreachable' }],
  [7, { name: 'HostNotFound' }],
  [24, { name: 'LockTimeout' }],
  [46, { name: 'LockBusy' }],
  [50, { name: 'MaxTimeMSExpired' }],
  [64, { name: 'WriteConcernFailed' }],
  [89, { name: 'NetworkTimeout' }],
  [91, { name: 'ShutdownInProgress' }],
  [112, { name: 'WriteConflict' }],
  [133, { name: 'FailedToSatisfyReadPreference' }],
  [134, { name: 'ReadConcernMajorityNotAvailableYet' }],
  [189, { name: 'PrimarySteppedDown' }],
  [202, { name: 'NetworkInterfaceExceededTimeLimit' }],
  [262, { name: 'ExceededTimeLimit' }],
  [9001, { name: 'SocketException' }],
  [10058, { name: 'LegacyNotPrimary' }],
  [10107, { name: 'NotWritablePrimary' }],
  [11600, { name: 'InterruptedAtShutdown' }],
  [11602, { name: 'InterruptedDueToReplStateChange' }],
  [13435, { name: 'NotPrimaryNoSecondaryOk' }],
  [13436, { name: 'NotPrimaryOrSecondary' }],
  [16500, { name: 'RequestRateTooLarge' }], // Azure Cosmos DB: over its provisioned throughput

  [
    13,
    {
      name: 'Unauthorized',
      advice: "the database user in MONGODB_URI lacks a privilege; grant it the readWrite role on the worker's database",
    },
  ],
  [18, { name: 'AuthenticationFailed', advice: 'MongoDB refused the user name or password in MONGODB_URI; correct them' }],
  [
    121,
    {
      name: 'DocumentValidationFailure',
      advice: "a validator on the collection refused the worker's document; relax or remove it (collMod)",
    },
  ],
  [
    8000,
    {
      name: 'AtlasError',
      advice: 'MongoDB Atlas refused the operation (often a storage quota of the cluster tier); see the detail and the Atlas console',
    },
  ],
  [14031, { name: 'OutOfDiskSpace', advice: 'the MongoDB server is out of disk space; free or add space' }],
  [10334, { name: 'BSONObjectTooLarge', advice: 'a document would exceed 16 MB; report this as a bug' }],
  [11000, { name: 'DuplicateKey', advice: 'an unexpected unique index refused the write; compare the indexes with docs/mongodb.md' }],
  [166, { name: 'CommandNotSupportedOnView', advice: 'the configured collection is a view; point the setting at a collection' }],
  [59, { name: 'CommandNotFound', advice: `the server lacks a command the worker uses; ${CHECK_SERVER}` }],
  [115, { name: 'CommandNotSupported', advice: `the server does not support a command the worker uses; ${CHECK_SERVER}` }],
  [2, { name: 'BadValue', advice: `the server refused an operation the worker sends; ${CHECK_SERVER}` }],
  [
    9,
    {
      name: 'FailedToParse',
      advice: `the server could not parse an operation the worker sends (update pipelines need MongoDB 4.2+); ${CHECK_SERVER}`,
    },
  ],
  [14, { name: 'TypeMismatch', advice: `the server refused an operation the worker sends; ${CHECK_SERVER}` }],
  [20, { name: 'IllegalOperation', advice: `the server refused an operation the worker sends; ${CHECK_SERVER}` }],
  [40324, { name: 'Location40324', advice: `the server lacks an aggregation stage the worker uses; ${CHECK_SERVER}` }],
]);

const STORE_LABEL: Record<StoreName, string> = {
  settings: "reading the ERP's e-mail settings",
  deliveries: 'writing the delivery record',
  content: "reading the e-mail's content from the payload store",
};

export function classifyStoreError(store: StoreName, err: unknown): StoreErrorClass {
  if (OUTAGE_ERROR_CLASSES.some((errorClass) => err instanceof errorClass)) return { kind: 'outage' };
  if (
    err instanceof mongo.MongoError &&
    OUTAGE_LABELS.some((label) => (err as InstanceType<typeof mongo.MongoError>).hasErrorLabel(label))
  ) {
    return { kind: 'outage' };
  }
  if (err instanceof mongoose.Error.MongooseServerSelectionError) return { kind: 'outage' };
  const code = serverCodeOf(err);
  if (code !== undefined) {
    const known = STORE_ERROR_CODES.get(code);
    if (known && known.advice === undefined) return { kind: 'outage' };
    const name = known?.name ?? codeNameOf(err) ?? 'an error';
    const advice = known?.advice ?? 'see the detail, fix the cause on the MongoDB side';
    return { kind: 'permanent', failure: storeFailure(store, `MongoDB answered ${name} (code ${code})`, advice, String(code), err) };
  }
  if (err instanceof mongoose.Error.ValidationError || err instanceof mongoose.Error.CastError) {
    return {
      kind: 'permanent',
      failure: storeFailure(store, 'the record does not fit its schema', 'report this as a bug with the detail', err.name, err),
    };
  }
  // Anything else (a connection that is reopening, a store's own transient error) is waited for: the
  // log names it, and /readyz shows whether the store answers.
  return { kind: 'outage' };
}

function storeFailure(store: StoreName, what: string, advice: string, code: string, err: unknown): Failure {
  const detail = toError(err).message.slice(0, 300);
  return {
    category: 'store',
    code,
    reason: `MongoDB refused ${STORE_LABEL[store]}: ${what}. Fix: ${advice}; then retry: ops retry --category store --force.`,
    detail,
  };
}

/** The server's code on a server error, a write error, or a write-concern error. */
function serverCodeOf(err: unknown): number | undefined {
  if (!(err instanceof mongo.MongoError)) return undefined;
  if (err instanceof mongo.MongoServerError || err instanceof mongo.MongoWriteConcernError || err instanceof mongo.MongoBulkWriteError) {
    return typeof err.code === 'number' ? err.code : undefined;
  }
  return undefined;
}

function codeNameOf(err: unknown): string | undefined {
  return err instanceof mongo.MongoServerError && typeof err.codeName === 'string' ? err.codeName : undefined;
}
