// The worker side of the chaos store service: DeliveryStore and SettingsStore over HTTP. Every failure
// (refused, 503, timeout) is thrown, as the MongoDB driver throws, so the processor's guardStore makes the job wait.
import {
  DeliveryRecordNotFoundError,
  type AttemptOutcome,
  type AttemptStart,
  type AttemptStartResult,
  type DeliveryQuery,
  type DeliveryRecord,
  type DeliveryStore,
} from '@omikai/graph-mailer-client';
import type { AccountSettings, GraphAccountLister, SettingsStore, UserSettings } from '../../src/settings/settings-store';
import { RECORD_NOT_FOUND_STATUS, reviveDates, type StoreErrorBody, type StoreMethod } from './store-wire';

/** The store service did not answer usefully: what a MongoDB outage looks like to the worker. */
export class StoreServiceError extends Error {
  override name = 'StoreServiceError';
}

export interface RemoteStoreOptions {
  /** The store service, e.g. http://127.0.0.1:40123 */
  url: string;
  /** A call that takes longer fails, as a MongoDB operation would after its server selection timeout. */
  timeoutMs?: number;
}

export class RemoteStores implements DeliveryStore, SettingsStore, GraphAccountLister {
  private readonly timeoutMs: number;

  constructor(private readonly options: RemoteStoreOptions) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  private async call<T>(method: StoreMethod, ...args: unknown[]): Promise<T> {
    let response: Response;
    let text: string;
    let body: { result?: T } & Partial<StoreErrorBody>;
    try {
      response = await fetch(`${this.options.url}/rpc/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(args),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
      body = JSON.parse(text, reviveDates) as typeof body;
    } catch (err: unknown) {
      throw new StoreServiceError(`store call ${method} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (response.status === RECORD_NOT_FOUND_STATUS && body.error?.jobId !== undefined) {
      throw new DeliveryRecordNotFoundError(body.error.jobId);
    }
    if (!response.ok) {
      throw new StoreServiceError(`store call ${method} answered ${response.status}: ${body.error?.message ?? text.slice(0, 200)}`);
    }
    return body.result as T;
  }

  startAttempt(start: AttemptStart): Promise<AttemptStartResult> {
    return this.call('startAttempt', start);
  }

  async finishAttempt(jobId: string, outcome: AttemptOutcome): Promise<void> {
    await this.call('finishAttempt', jobId, outcome);
  }

  find(query: DeliveryQuery): Promise<DeliveryRecord[]> {
    return this.call('find', query);
  }

  findAccount(accountId: string): Promise<AccountSettings | null> {
    return this.call('findAccount', accountId);
  }

  findUser(userId: string): Promise<UserSettings | null> {
    return this.call('findUser', userId);
  }

  listGraphAccountIds(): Promise<string[]> {
    return this.call('listGraphAccountIds');
  }
}
