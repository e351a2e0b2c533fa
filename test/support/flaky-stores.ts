// Store wrappers that fail on demand, as MongoDB does in an outage, for the outage tests.
import type {
  AttemptOutcome,
  AttemptStart,
  AttemptStartResult,
  DeliveryQuery,
  DeliveryRecord,
  DeliveryStore,
} from '../../src/delivery/delivery-store';
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
