// Delivery records kept in process memory: for demos, tests and benchmarks.
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
  type DeliveryStore,
} from '@omikai/graph-mailer-client';

const keyOf = (accountId: string, idempotencyKey: string) => `${accountId}\0${idempotencyKey}`;

/** Memory mode is for demos and benchmarks: keep the newest records, not every one since start. */
export const DEFAULT_MAX_MEMORY_RECORDS = 10_000;
/** Records in these states give their idempotency key to the next job that asks for it. */
const RELEASES_KEY = new Set(['failed', 'cancelled']);
/** Once full, the oldest tenth goes at once: deleting from a Map's front one insert at a time is slow. */
const EVICT_FRACTION = 0.1;

export class MemoryDeliveryStore implements DeliveryStore, DeliveryCancellation {
  private readonly records = new Map<string, DeliveryRecord>();
  private readonly jobIdByKey = new Map<string, string>();

  constructor(private readonly maxRecords = DEFAULT_MAX_MEMORY_RECORDS) {}

  async startAttempt(start: AttemptStart): Promise<AttemptStartResult> {
    const existing = this.records.get(start.jobId);
    if (existing) {
      if (existing.status === 'sent') return { action: 'already-sent', record: copyRecord(existing) };
      if (existing.status === 'cancelled') return { action: 'cancelled', record: copyRecord(existing) };
      if (start.idempotencyKey !== undefined && existing.idempotencyKey === undefined) {
        // This job failed and handed its key over: the key's owner decides, as for a new job.
        const owner = this.claimKey(start.accountId, start.idempotencyKey, existing.jobId);
        if (owner) return { action: 'duplicate', record: copyRecord(owner) };
        existing.idempotencyKey = start.idempotencyKey;
      }
      if (start.status === 'sending') {
        if (existing.status === 'sending') existing.possibleDuplicate = true;
        existing.status = 'sending';
        existing.attempts += 1;
      }
      existing.updatedAt = start.now;
      return { action: 'send', possibleDuplicate: existing.possibleDuplicate };
    }

    if (start.idempotencyKey !== undefined) {
      const owner = this.claimKey(start.accountId, start.idempotencyKey, start.jobId);
      if (owner) return { action: 'duplicate', record: copyRecord(owner) };
    }
    this.makeRoom();
    this.records.set(start.jobId, {
      jobId: start.jobId,
      accountId: start.accountId,
      ...(start.userId !== undefined ? { userId: start.userId } : {}),
      status: start.status,
      attempts: start.status === 'sending' ? 1 : 0,
      subject: start.subject,
      recipientCount: start.recipientCount,
      ...(start.correlation ? { correlation: start.correlation } : {}),
      ...(start.idempotencyKey !== undefined ? { idempotencyKey: start.idempotencyKey } : {}),
      possibleDuplicate: false,
      createdAt: start.now,
      updatedAt: start.now,
    });
    return { action: 'send', possibleDuplicate: false };
  }

  async cancel(request: CancelRequest): Promise<CancelResult> {
    const existing = this.records.get(request.jobId);
    if (existing?.status === 'sent') return { outcome: 'already-sent', record: copyRecord(existing) };
    if (existing?.status === 'cancelled') return { outcome: 'already-cancelled', record: copyRecord(existing) };
    if (existing) {
      Object.assign(existing, { status: 'cancelled', cancelledAt: request.now, cancelledBy: request.by, updatedAt: request.now });
      return { outcome: 'cancelled', record: copyRecord(existing) };
    }
    let idempotencyKey = request.idempotencyKey;
    if (idempotencyKey !== undefined) {
      const key = keyOf(request.accountId, idempotencyKey);
      if (this.records.has(this.jobIdByKey.get(key) ?? '')) idempotencyKey = undefined;
      else this.jobIdByKey.set(key, request.jobId);
    }
    this.makeRoom();
    const record: DeliveryRecord = {
      jobId: request.jobId,
      accountId: request.accountId,
      ...(request.userId !== undefined ? { userId: request.userId } : {}),
      status: 'cancelled',
      attempts: 0,
      ...(request.subject !== undefined ? { subject: request.subject } : {}),
      recipientCount: request.recipientCount,
      ...(request.correlation ? { correlation: { ...request.correlation } } : {}),
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      possibleDuplicate: false,
      createdAt: request.now,
      updatedAt: request.now,
      cancelledAt: request.now,
      cancelledBy: request.by,
    };
    this.records.set(request.jobId, record);
    return { outcome: 'cancelled', record: copyRecord(record) };
  }

  private makeRoom(): void {
    if (this.records.size >= this.maxRecords) this.forgetOldestBeyond(Math.floor(this.maxRecords * (1 - EVICT_FRACTION)));
  }

  /**
   * Gives the key to `jobId` unless another job owns it and has not failed or been cancelled;
   * returns that owner. A failed or cancelled owner hands its key over.
   */
  private claimKey(accountId: string, idempotencyKey: string, jobId: string): DeliveryRecord | undefined {
    const key = keyOf(accountId, idempotencyKey);
    const owner = this.records.get(this.jobIdByKey.get(key) ?? '');
    if (owner && owner.jobId !== jobId && !RELEASES_KEY.has(owner.status)) return owner;
    if (owner && owner.jobId !== jobId) delete owner.idempotencyKey;
    this.jobIdByKey.set(key, jobId);
    return undefined;
  }

  private forgetOldestBeyond(limit: number): void {
    for (const [jobId, record] of this.records) {
      if (this.records.size <= limit) return;
      this.records.delete(jobId);
      if (record.idempotencyKey !== undefined) this.jobIdByKey.delete(keyOf(record.accountId, record.idempotencyKey));
    }
  }

  async finishAttempt(jobId: string, outcome: AttemptOutcome): Promise<void> {
    const record = this.records.get(jobId);
    if (!record) throw new DeliveryRecordNotFoundError(jobId);
    // A late failure report must not undo a send that is already recorded, nor a cancel.
    if ((record.status === 'sent' || record.status === 'cancelled') && outcome.status !== 'sent') return;
    const { now, possibleDuplicate, ...fields } = { possibleDuplicate: false, ...outcome };
    Object.assign(record, fields, { updatedAt: now, possibleDuplicate: record.possibleDuplicate || possibleDuplicate });
    if (outcome.status === 'sent') {
      record.sentAt = now;
      delete record.error;
      delete record.failedAt;
    }
    if (outcome.status === 'failed') record.failedAt = now;
  }

  async find(query: DeliveryQuery): Promise<DeliveryRecord[]> {
    return [...this.records.values()]
      .filter((record) => matchesQuery(record, query))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, Math.max(1, query.limit ?? 100))
      .map(copyRecord);
  }
}

/** Callers get their own copy: changing a returned record must not change the store. */
function copyRecord(record: DeliveryRecord): DeliveryRecord {
  return {
    ...record,
    ...(record.correlation ? { correlation: { ...record.correlation } } : {}),
    ...(record.error ? { error: { ...record.error } } : {}),
  };
}

function matchesQuery(record: DeliveryRecord, query: DeliveryQuery): boolean {
  if (query.jobId !== undefined && record.jobId !== query.jobId) return false;
  if (query.accountId !== undefined && record.accountId !== query.accountId) return false;
  if (query.idempotencyKey !== undefined && record.idempotencyKey !== query.idempotencyKey) return false;
  for (const [field, value] of Object.entries(query.correlation ?? {})) {
    if (record.correlation?.[field] !== value) return false;
  }
  return true;
}
