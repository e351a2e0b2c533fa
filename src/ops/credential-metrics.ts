// Days left before each account's client secret or certificate expires, as a gauge for alerting.
import { Gauge, type Registry } from 'prom-client';
import type { CredentialDaysLeft } from '../diagnostics/expiry-monitor';

/** Read from the latest expiry check at scrape time (cheap: no settings read per scrape). */
export function registerCredentialExpiryMetric(registry: Registry, daysLeft: () => CredentialDaysLeft[]): void {
  new Gauge({
    name: 'omikai_credential_days_left',
    help: 'Days until the account’s recorded client secret or certificate expiry (negative once expired).',
    labelNames: ['account_id', 'credential'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { accountId, credential, daysLeft: days } of daysLeft()) this.set({ account_id: accountId, credential }, days);
    },
  });
}
