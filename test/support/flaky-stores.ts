// Store wrappers that fail on demand, as MongoDB does in an outage, for the outage tests.
import type {
  AttemptOutcome,
  AttemptStart,
  AttemptStartResult,
  DeliveryQuery,
  DeliveryRecord,
  DeliveryStore,
  PayloadMetadata,
  PayloadStore,
} from '@omikai/graph-mailer-client';
import type { AccountSettings, SettingsStore, UserSettings } from '../../src/settings/settings-store';

export class MongoLikeOutage extends Error {
  override name = 'MongoServerSelectionError';
  constructor() {
    super('connect ECONNREFUSED 127.0.0.1:27017');
  }
}

/**
 * `down` fails every call; `failSentOutcomes` fails only the recording of a successful send;
 * `refuseWith` throws that error (e.g. a driver MongoServerError) from every write.
 */
export class FlakyDeliveryStore implements DeliveryStore {
  down = false;
  failSentOutcomes = 0;
  failedCalls = 0;
  refuseWith: Error | undefined;

  constructor(readonly inner: DeliveryStore) {}

  private check(): void {
    if (this.refuseWith) {
      this.failedCalls += 1;
      throw this.refuseWith;
    }
    if (this.down) {
      this.failedCalls += 1;
      throw new MongoLikeOutage();
    }
  }

  async startAttempt(start: AttemptStart): Promise<AttemptStartResult> {
    this.check();
    return this.inner.startAttempt(start);
  }

  async finishAttempt(jobId: string, outcome: AttemptOutcome): Promise<void> {
    this.check();
    if (outcome.status === 'sent' && this.failSentOutcomes > 0) {
      this.failSentOutcomes -= 1;
      this.failedCalls += 1;
      throw new MongoLikeOutage();
    }
    return this.inner.finishAttempt(jobId, outcome);
  }

  find(query: DeliveryQuery): Promise<DeliveryRecord[]> {
    return this.inner.find(query);
  }
}

export class FlakySettingsStore implements SettingsStore {
  down = false;
  failedCalls = 0;
  /** Thrown from every read, e.g. a driver MongoServerError. */
  refuseWith: Error | undefined;

  constructor(readonly inner: SettingsStore) {}

  async findAccount(accountId: string): Promise<AccountSettings | null> {
    if (this.refuseWith) {
      this.failedCalls += 1;
      throw this.refuseWith;
    }
    if (this.down) {
      this.failedCalls += 1;
      throw new MongoLikeOutage();
    }
    return this.inner.findAccount(accountId);
  }

  async findUser(userId: string): Promise<UserSettings | null> {
    if (this.down) throw new MongoLikeOutage();
    return this.inner.findUser(userId);
  }
}

/** A payload store that is unreachable on demand: every call fails as an outage while `down`. */
export class FlakyPayloadStore implements PayloadStore {
  down = false;
  failedCalls = 0;

  constructor(readonly inner: PayloadStore) {}

  get kind() {
    return this.inner.kind;
  }

  private check(): void {
    if (this.down) {
      this.failedCalls += 1;
      throw new MongoLikeOutage();
    }
  }

  async write(id: string, metadata: PayloadMetadata, data: Buffer) {
    this.check();
    return this.inner.write(id, metadata, data);
  }

  async open(id: string) {
    this.check();
    return this.inner.open(id);
  }

  async remove(ids: readonly string[]) {
    this.check();
    return this.inner.remove(ids);
  }

  async assignJobs(assignments: readonly { id: string; jobId: string }[]) {
    this.check();
    return this.inner.assignJobs(assignments);
  }

  async expireAt(id: string, at: Date) {
    this.check();
    return this.inner.expireAt(id, at);
  }

  list(createdBefore: Date) {
    this.check();
    return this.inner.list(createdBefore);
  }
}
