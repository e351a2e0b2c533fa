// Delivery records in MongoDB, one document per job (_id = jobId). Every change is one atomic
// operation, so concurrent workers (and jobs re-added after Redis lost them) follow the same rules
// as the memory store. Call ensureIndexes() once at startup: duplicate detection relies on them.
import { Schema, type Connection, type Model, type QueryFilter } from 'mongoose';
import {
  DeliveryRecordNotFoundError,
  type AttemptOutcome,
  type AttemptStart,
  type AttemptStartResult,
  type CancelRequest,
  type CancelResult,
  type DeliveryCancellation,
  type DeliveryQuery,
  type DeliveryRecord,
  type DeliveryStatus,
  type DeliveryStore,
  type Failure,
} from '@omikai/graph-mailer-client';
import { findIndexConflict, IndexConflictError, isIndexConflict, type ExistingIndex } from './index-conflicts';

const DUPLICATE_KEY = 11000;
/** Enough for a lost insert race plus a failed owner's key being handed over; more means heavy churn. */
const MAX_START_ROUNDS = 5;
const DEFAULT_FIND_LIMIT = 100;
/** Records in these states give their idempotency key to the next job that asks for it. */
const RELEASES_KEY: DeliveryStatus[] = ['failed', 'cancelled'];
/** The outcome fields copied onto the record (status, now and possibleDuplicate are handled apart). */
const OUTCOME_FIELDS = [
  'sender',
  'senderSource',
  'senderFallbackReason',
  'graphRequestId',
  'clientRequestId',
  'graphMessageId',
  'internetMessageId',
  'error',
] as const;

/** Thrown when a start kept losing races to other workers; the job may simply be retried. */
export class DeliveryRecordConflictError extends Error {
  override name = 'DeliveryRecordConflictError';
}

/** A delivery record as stored: the jobId is the document's _id. */
interface StoredDelivery extends Omit<DeliveryRecord, 'jobId'> {
  _id: string;
}

export class MongoDeliveryStore implements DeliveryStore, DeliveryCancellation {
  private readonly model: Model<StoredDelivery>;

  constructor(connection: Connection, collectionName: string) {
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: Connection.model replaces a model of the same name given a new schema either way
    const options = { overwriteModels: true };
    this.model = connection.model<StoredDelivery>(`DeliveryRecord:${collectionName}`, createDeliverySchema(), collectionName, options);
  }

  /**
   * Creates the collection's indexes if missing (existing ones are left alone). An existing index that
   * clashes with one of them (MongoDB 85/86) is reported as an IndexConflictError naming it and the fix.
   */
  async ensureIndexes(): Promise<void> {
    try {
      await this.model.createIndexes();
    } catch (err: unknown) {
      if (!isIndexConflict(err)) throw err;
      const existing = (await this.model.collection.indexes()) as ExistingIndex[];
      throw new IndexConflictError(this.model.collection.collectionName, findIndexConflict(this.model.schema.indexes(), existing), err);
    }
  }

  async startAttempt(start: AttemptStart): Promise<AttemptStartResult> {
    for (let round = 0; round < MAX_START_ROUNDS; round++) {
      const existing = await this.model.findById(start.jobId).lean<StoredDelivery>();
      if (existing) {
        if (existing.status === 'sent') return { action: 'already-sent', record: toDeliveryRecord(existing) };
        if (existing.status === 'cancelled') return { action: 'cancelled', record: toDeliveryRecord(existing) };
        if (start.idempotencyKey !== undefined && existing.idempotencyKey === undefined) {
          // This job failed and handed its key over: the key's owner decides, as for a new job.
          const duplicate = await this.reclaimKey(start, start.idempotencyKey);
          if (duplicate) return duplicate;
          continue;
        }
        const updated = await this.continueAttempt(start);
        if (updated) return { action: 'send', possibleDuplicate: updated.possibleDuplicate };
        continue; // it was marked sent or cancelled in between
      }
      const inserted = await this.insertRecord(start);
      if (inserted) return inserted;
    }
    throw new DeliveryRecordConflictError(
      `Could not start an attempt for job ${start.jobId}: its delivery record or idempotency key kept changing ` +
        `under other workers (${MAX_START_ROUNDS} tries); retry the job.`,
    );
  }

  async finishAttempt(jobId: string, outcome: AttemptOutcome): Promise<void> {
    const $set: Record<string, unknown> = { status: outcome.status, updatedAt: outcome.now };
    const $unset: Record<string, 1> = {};
    // Like Object.assign in the memory store: a field the outcome names is written, and one it
    // names as undefined is removed; fields it does not name keep their earlier values.
    for (const field of OUTCOME_FIELDS) {
      if (!(field in outcome)) continue;
      const value: unknown = (outcome as Partial<Record<(typeof OUTCOME_FIELDS)[number], unknown>>)[field];
      if (value === undefined) $unset[field] = 1;
      else $set[field] = value;
    }
    if (outcome.status === 'sent') {
      $set.sentAt = outcome.now;
      delete $set.error;
      $unset.error = 1;
      $unset.failedAt = 1;
    } else if (outcome.possibleDuplicate === true) {
      // Only ever raised: an earlier attempt that may have been sent stays a possible duplicate.
      $set.possibleDuplicate = true;
    }
    if (outcome.status === 'failed') $set.failedAt = outcome.now;

    // A late failure report must not undo a send that is already recorded, nor a cancel.
    const filter = outcome.status === 'sent' ? { _id: jobId } : { _id: jobId, status: { $nin: ['sent', 'cancelled'] as DeliveryStatus[] } };
    // mongoose leaves an empty $unset out; runValidators checks the outcome against the schema, as an insert is.
    const result = await this.model.updateOne(filter, { $set, $unset }, { runValidators: true });
    if (result.matchedCount === 0 && (await this.model.countDocuments({ _id: jobId })) === 0) throw new DeliveryRecordNotFoundError(jobId);
  }

  async cancel(request: CancelRequest): Promise<CancelResult> {
    // Stryker disable next-line ConditionalExpression: without a key, withKey true still writes none (newCancelledRecord leaves undefined out)
    let withKey = request.idempotencyKey !== undefined;
    for (let round = 0; round < MAX_START_ROUNDS; round++) {
      const cancelled = await this.model
        .findOneAndUpdate(
          { _id: request.jobId, status: { $nin: ['sent', 'cancelled'] as DeliveryStatus[] } },
          { $set: { status: 'cancelled', cancelledAt: request.now, cancelledBy: request.by, updatedAt: request.now } },
          { returnDocument: 'after' },
        )
        .lean<StoredDelivery>();
      if (cancelled) return { outcome: 'cancelled', record: toDeliveryRecord(cancelled) };
      const existing = await this.model.findById(request.jobId).lean<StoredDelivery>();
      if (existing?.status === 'sent') return { outcome: 'already-sent', record: toDeliveryRecord(existing) };
      if (existing?.status === 'cancelled') return { outcome: 'already-cancelled', record: toDeliveryRecord(existing) };
      if (existing) continue; // it changed in between
      const record = newCancelledRecord(request, withKey);
      try {
        await this.model.insertOne(record);
        return { outcome: 'cancelled', record: toDeliveryRecord(record) };
      } catch (err: unknown) {
        if (!isDuplicateKeyError(err)) throw err;
      }
      // Either the job's own record appeared meanwhile (read again), or another job owns the key.
      if (withKey && (await this.model.countDocuments({ _id: request.jobId })) === 0) withKey = false;
    }
    throw new DeliveryRecordConflictError(
      `Could not cancel job ${request.jobId}: its delivery record kept changing under the worker (${MAX_START_ROUNDS} tries); cancel it again.`,
    );
  }

  async find(query: DeliveryQuery): Promise<DeliveryRecord[]> {
    const filter: Record<string, unknown> = {};
    if (query.jobId !== undefined) filter._id = query.jobId;
    if (query.accountId !== undefined) filter.accountId = query.accountId;
    if (query.idempotencyKey !== undefined) filter.idempotencyKey = query.idempotencyKey;
    for (const [field, value] of Object.entries(query.correlation ?? {})) {
      // A dot or leading $ would turn the field name into a different path or an operator.
      if (field.includes('.') || field.startsWith('$')) {
        throw new Error(`Correlation field "${field}" cannot be searched in MongoDB: names with "." or a leading "$" are not supported.`);
      }
      filter[`correlation.${field}`] = value;
    }
    // Newest first, as the memory store returns them; {accountId, createdAt} serves this order.
    // The memory store returns at least one record even for limit 0, and limit(0) would mean "no limit" here.
    const records = await this.model
      .find(filter as QueryFilter<StoredDelivery>)
      .sort({ createdAt: -1 })
      .limit(Math.max(1, Math.ceil(query.limit ?? DEFAULT_FIND_LIMIT)))
      .lean<StoredDelivery[]>();
    return records.map(toDeliveryRecord);
  }

  /** Updates an existing record that is not sent or cancelled and returns it; null when it is (or gone). */
  private async continueAttempt(start: AttemptStart): Promise<StoredDelivery | null> {
    const filter = { _id: start.jobId, status: { $nin: ['sent', 'cancelled'] as DeliveryStatus[] } };
    if (start.status === 'queued') {
      // The record as it was will do: this update leaves its possibleDuplicate alone.
      return this.model.findOneAndUpdate(filter, { $set: { updatedAt: start.now } }).lean<StoredDelivery>();
    }
    const pipeline = [
      // Still 'sending' means the previous attempt died mid-send, so that e-mail may be out already.
      { $set: { possibleDuplicate: { $or: ['$possibleDuplicate', { $eq: ['$status', 'sending'] }] } } },
      { $set: { status: 'sending', attempts: { $add: ['$attempts', 1] }, updatedAt: start.now } },
    ];
    return this.model.findOneAndUpdate(filter, pipeline, { returnDocument: 'after', updatePipeline: true }).lean<StoredDelivery>();
  }

  /**
   * Inserts the job's first record. The unique {accountId, idempotencyKey} index decides which job
   * owns a key. Null means "read again": this job's record appeared meanwhile, or a failed owner's
   * key was just released.
   */
  private async insertRecord(start: AttemptStart): Promise<AttemptStartResult | null> {
    try {
      await this.model.insertOne(newRecord(start));
      return { action: 'send', possibleDuplicate: false };
    } catch (err: unknown) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    if (start.idempotencyKey === undefined) return null;
    const owner = await this.keyOwner(start.accountId, start.idempotencyKey);
    if (!owner || owner._id === start.jobId) return null;
    if (!RELEASES_KEY.includes(owner.status)) return { action: 'duplicate', record: toDeliveryRecord(owner) };
    await this.releaseOwnersKey(owner, start.idempotencyKey);
    return null;
  }

  /**
   * For a job whose record gave its key away: a duplicate of the key's owner when that owner has not
   * failed or been cancelled; otherwise the key comes back to this record. Null means "read again".
   */
  private async reclaimKey(start: AttemptStart, idempotencyKey: string): Promise<AttemptStartResult | null> {
    const owner = await this.keyOwner(start.accountId, idempotencyKey);
    if (owner && owner._id !== start.jobId) {
      if (!RELEASES_KEY.includes(owner.status)) return { action: 'duplicate', record: toDeliveryRecord(owner) };
      await this.releaseOwnersKey(owner, idempotencyKey);
      return null;
    }
    try {
      await this.model.updateOne(
        { _id: start.jobId, status: { $nin: ['sent', 'cancelled'] as DeliveryStatus[] }, idempotencyKey: { $exists: false } },
        { $set: { idempotencyKey } },
      );
    } catch (err: unknown) {
      // Another job took the key first: the next round finds it as the owner.
      if (!isDuplicateKeyError(err)) throw err;
    }
    return null;
  }

  private keyOwner(accountId: string, idempotencyKey: string): Promise<StoredDelivery | null> {
    // The $type term lets the planner use the partial unique index.
    return this.model.findOne({ accountId, idempotencyKey: { $eq: idempotencyKey, $type: 'string' } }).lean<StoredDelivery>();
  }

  /** A failed or cancelled record hands its key over; the filter keeps this from touching a record that took the key since. */
  private async releaseOwnersKey(owner: StoredDelivery, idempotencyKey: string): Promise<void> {
    await this.model.updateOne({ _id: owner._id, status: { $in: RELEASES_KEY }, idempotencyKey }, { $unset: { idempotencyKey: 1 } });
  }
}

function createDeliverySchema(): Schema<StoredDelivery> {
  const failureSchema = new Schema<Failure>(
    {
      category: { type: String, required: true },
      reason: { type: String, required: true },
      code: String,
      httpStatus: Number,
      graphRequestId: String,
      retryAfterMs: Number,
      detail: String,
      procedure: String,
    },
    { _id: false },
  );
  const schema = new Schema<StoredDelivery>(
    {
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: mongoose refuses to save a document without an _id whatever the schema says
      _id: { type: String, required: true },
      accountId: { type: String, required: true },
      userId: String,
      status: {
        type: String,
        enum: ['queued', 'sending', 'retrying', 'sent', 'failed', 'cancelled'] satisfies DeliveryStatus[],
        required: true,
      },
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: the store always writes attempts (0 or 1 on insert, +1 in the pipeline)
      attempts: { type: Number, required: true },
      subject: String,
      recipientCount: { type: Number, required: true },
      sender: String,
      senderSource: { type: String, enum: ['account', 'user'] },
      senderFallbackReason: String,
      // Mixed, not Map: the ERP's own field names are kept as they are.
      correlation: Schema.Types.Mixed,
      idempotencyKey: String,
      graphRequestId: String,
      clientRequestId: String,
      graphMessageId: String,
      internetMessageId: String,
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: the store always writes possibleDuplicate (false on insert, only ever raised)
      possibleDuplicate: { type: Boolean, required: true },
      error: failureSchema,
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: createdAt is written only with updatedAt from the same `now`, whose check refuses the same records
      createdAt: { type: Date, required: true },
      updatedAt: { type: Date, required: true },
      sentAt: Date,
      failedAt: Date,
      cancelledAt: Date,
      cancelledBy: String,
    },
    // Timestamps come from the caller's `now`; indexes are built by ensureIndexes(), not on model creation.
    { versionKey: false, timestamps: false, minimize: false, autoIndex: false, autoCreate: false },
  );
  schema.index(
    { accountId: 1, idempotencyKey: 1 },
    { unique: true, partialFilterExpression: { idempotencyKey: { $type: 'string' } }, name: 'accountId_idempotencyKey_unique' },
  );
  schema.index({ accountId: 1, createdAt: 1 });
  // Correlation field names are the ERP's; a wildcard index serves equality on any of them.
  schema.index({ 'correlation.$**': 1 });
  schema.index({ status: 1, updatedAt: 1 });
  return schema;
}

function newRecord(start: AttemptStart): StoredDelivery {
  return {
    _id: start.jobId,
    accountId: start.accountId,
    ...withoutEmpty({ userId: start.userId, correlation: start.correlation, idempotencyKey: start.idempotencyKey }),
    status: start.status,
    attempts: start.status === 'sending' ? 1 : 0,
    subject: start.subject,
    recipientCount: start.recipientCount,
    possibleDuplicate: false,
    createdAt: start.now,
    updatedAt: start.now,
  };
}

function newCancelledRecord(request: CancelRequest, withKey: boolean): StoredDelivery {
  return {
    _id: request.jobId,
    accountId: request.accountId,
    ...withoutEmpty({
      userId: request.userId,
      subject: request.subject,
      correlation: request.correlation,
      idempotencyKey: withKey ? request.idempotencyKey : undefined,
    }),
    status: 'cancelled',
    attempts: 0,
    recipientCount: request.recipientCount,
    possibleDuplicate: false,
    createdAt: request.now,
    updatedAt: request.now,
    cancelledAt: request.now,
    cancelledBy: request.by,
  };
}

/** A plain record: jobId from _id, absent fields left out, nothing of mongoose's. */
function toDeliveryRecord(stored: StoredDelivery): DeliveryRecord {
  return {
    jobId: stored._id,
    accountId: stored.accountId,
    status: stored.status,
    attempts: stored.attempts,
    recipientCount: stored.recipientCount,
    possibleDuplicate: stored.possibleDuplicate === true,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    ...withoutEmpty({
      userId: stored.userId,
      subject: stored.subject,
      sender: stored.sender,
      senderSource: stored.senderSource,
      senderFallbackReason: stored.senderFallbackReason,
      correlation: stored.correlation ? { ...stored.correlation } : undefined,
      idempotencyKey: stored.idempotencyKey,
      graphRequestId: stored.graphRequestId,
      clientRequestId: stored.clientRequestId,
      graphMessageId: stored.graphMessageId,
      internetMessageId: stored.internetMessageId,
      error: stored.error ? toFailure(stored.error) : undefined,
      sentAt: stored.sentAt,
      failedAt: stored.failedAt,
      cancelledAt: stored.cancelledAt,
      cancelledBy: stored.cancelledBy,
    }),
  };
}

function toFailure(stored: Failure): Failure {
  return {
    category: stored.category,
    reason: stored.reason,
    ...withoutEmpty({
      code: stored.code,
      httpStatus: stored.httpStatus,
      graphRequestId: stored.graphRequestId,
      retryAfterMs: stored.retryAfterMs,
      detail: stored.detail,
      procedure: stored.procedure,
    }),
  };
}

/** Drops undefined and null values: MongoDB keeps no field rather than a null one. */
function withoutEmpty<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: NonNullable<T[K]> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null)) as {
    [K in keyof T]?: NonNullable<T[K]>;
  };
}

function isDuplicateKeyError(err: unknown): boolean {
  // Stryker disable next-line OptionalChaining: ?. guards only against a thrown null or undefined, which neither the driver nor mongoose throws
  return (err as { code?: unknown } | null | undefined)?.code === DUPLICATE_KEY;
}
