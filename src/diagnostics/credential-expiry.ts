// When an account's client secret or certificate expires, from the dates the admin recorded in
// the settings (or the certificate itself). Pure: the caller passes the settings and `now`.
import { X509Certificate } from 'node:crypto';
import { ERP_GRAPH_SETTINGS_PAGE } from '../settings/erp-pages';
import type { AccountSettings } from '../settings/settings-store';

export type CredentialKind = 'client-secret' | 'certificate';

export type CredentialExpiry =
  | { accountId: string; credential: CredentialKind; status: 'ok' | 'expiring' | 'expired'; expiresAt: Date; daysLeft: number }
  /** A recorded date that is not a date. */
  | { accountId: string; credential: CredentialKind; status: 'unreadable' };

export const DEFAULT_EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 3600_000;
const RENEW_AT = {
  'client-secret':
    'create a new client secret in Entra admin center > App registrations > (your app) > Certificates & secrets, paste its Value ' +
    `as Client secret in ${ERP_GRAPH_SETTINGS_PAGE} and record its new expiry date`,
  certificate:
    'upload a new certificate in Entra admin center > App registrations > (your app) > Certificates & secrets > Certificates, ' +
    `and store its private key and thumbprint in ${ERP_GRAPH_SETTINGS_PAGE}`,
} as const;
const LABEL: Record<CredentialKind, string> = { 'client-secret': 'client secret', certificate: 'certificate' };

function certificateNotAfter(pem: string | undefined): Date | undefined {
  if (pem === undefined) return undefined;
  try {
    return new Date(new X509Certificate(pem).validTo);
  } catch {
    return undefined; // an unreadable certificate is reported by resolveSender, with its fix
  }
}

/** The expiry of the credential the account signs in with (its certificate when it has one, else its secret). */
export function credentialExpiry(
  account: AccountSettings,
  nowMs: number,
  warningDays = DEFAULT_EXPIRY_WARNING_DAYS,
): CredentialExpiry | undefined {
  const usesCertificate =
    account.certificatePrivateKey !== undefined || account.certificatePem !== undefined || account.certificateThumbprint !== undefined;
  const credential: CredentialKind = usesCertificate ? 'certificate' : 'client-secret';
  const expiresAt = usesCertificate
    ? (account.certificateExpiresAt ?? certificateNotAfter(account.certificatePem))
    : account.clientSecretExpiresAt;
  if (expiresAt === undefined) return undefined;
  const { accountId } = account;
  if (Number.isNaN(expiresAt.getTime())) return { accountId, credential, status: 'unreadable' };
  const leftMs = expiresAt.getTime() - nowMs;
  const daysLeft = Math.floor(leftMs / DAY_MS);
  const status = leftMs <= 0 ? 'expired' : daysLeft < warningDays ? 'expiring' : 'ok';
  return { accountId, credential, status, expiresAt, daysLeft };
}

/** A sentence for people: what expires when, and what to do. */
export function describeCredentialExpiry(expiry: CredentialExpiry): string {
  const subject = `The ${LABEL[expiry.credential]} of account ${expiry.accountId}`;
  if (expiry.status === 'unreadable') {
    return `${subject} has an expiry date that is not a date; record it as YYYY-MM-DD in ${ERP_GRAPH_SETTINGS_PAGE}.`;
  }
  const day = expiry.expiresAt.toISOString().slice(0, 10);
  switch (expiry.status) {
    case 'expired':
      return `${subject} expired on ${day}: sign-in fails until it is replaced. ${capitalize(RENEW_AT[expiry.credential])}.`;
    case 'expiring':
      return `${subject} expires in ${expiry.daysLeft} day${expiry.daysLeft === 1 ? '' : 's'} (${day}). Before then, ${RENEW_AT[expiry.credential]}.`;
    default:
      return `${subject} is valid until ${day} (${expiry.daysLeft} days).`;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
