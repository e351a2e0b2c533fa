// The daily credential-expiry check: reads every Graph account, logs a warning 30 days before its
// secret or certificate expires, and keeps the days left for /metrics.
import type { Logger } from 'pino';
import { DeliveryError, toError } from '@omikai/graph-mailer-client';
import type { GraphAccountLister, SettingsStore } from '../settings/settings-store';
import {
  DEFAULT_EXPIRY_WARNING_DAYS,
  credentialExpiry,
  describeCredentialExpiry,
  type CredentialExpiry,
  type CredentialKind,
} from './credential-expiry';

export interface CredentialExpiryCheckDeps {
  settings: Pick<SettingsStore, 'findAccount'> & GraphAccountLister;
  logger: Logger;
  warningDays?: number;
  now?: () => number;
}

export interface CredentialDaysLeft {
  accountId: string;
  credential: CredentialKind;
  /** Whole days until expiry; negative once expired. */
  daysLeft: number;
}

/** Checks every account once and logs what needs attention; an unreadable account is logged, not thrown. */
export async function checkCredentialExpiry({
  settings,
  logger,
  warningDays = DEFAULT_EXPIRY_WARNING_DAYS,
  now = Date.now,
}: CredentialExpiryCheckDeps) {
  const expiries: CredentialExpiry[] = [];
  for (const accountId of await settings.listGraphAccountIds()) {
    let expiry: CredentialExpiry | undefined;
    try {
      const account = await settings.findAccount(accountId);
      expiry = account ? credentialExpiry(account, now(), warningDays) : undefined;
    } catch (err: unknown) {
      const reason = err instanceof DeliveryError ? err.failure.reason : toError(err).message;
      logger.error({ accountId, reason }, 'credential expiry check could not read the account settings');
      continue;
    }
    if (!expiry) continue;
    expiries.push(expiry);
    const fields = { accountId, credential: expiry.credential, ...(expiry.status === 'unreadable' ? {} : { daysLeft: expiry.daysLeft }) };
    if (expiry.status === 'expired') logger.error(fields, describeCredentialExpiry(expiry));
    else if (expiry.status !== 'ok') logger.warn(fields, describeCredentialExpiry(expiry));
  }
  return expiries;
}

export interface CredentialExpiryChecks {
  /** Days left per account, from the latest check (empty before the first one ends). */
  daysLeft(): CredentialDaysLeft[];
  /** Runs a check now (also what the interval does); concurrent calls share one run. */
  checkNow(): Promise<CredentialExpiry[]>;
  stop(): void;
}

/** Checks at once and then every `intervalMs` (daily by default); the timer does not keep the process alive. */
export function startCredentialExpiryChecks(deps: CredentialExpiryCheckDeps & { intervalMs?: number }): CredentialExpiryChecks {
  let latest: CredentialDaysLeft[] = [];
  let running: Promise<CredentialExpiry[]> | undefined;
  const checkNow = () => {
    running ??= checkCredentialExpiry(deps)
      .then((expiries) => {
        latest = expiries.flatMap((e) =>
          e.status === 'unreadable' ? [] : [{ accountId: e.accountId, credential: e.credential, daysLeft: e.daysLeft }],
        );
        return expiries;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const runLogged = () => {
    checkNow().catch((err: unknown) =>
      deps.logger.error({ err: toError(err) }, 'credential expiry check failed; trying again at the next interval'),
    );
  };
  const timer = setInterval(runLogged, deps.intervalMs ?? 24 * 3600_000);
  timer.unref();
  runLogged();
  return { daysLeft: () => latest, checkNow, stop: () => clearInterval(timer) };
}
