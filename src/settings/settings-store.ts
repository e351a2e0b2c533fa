// Reading the ERP's e-mail settings: the interface both stores implement, and the mapping
// from stored documents to the settings this project needs (secrets opened on the way).
import type { SecretFormat } from '../secrets/encrypted-secret';
import { idText, readDate, readText, readTextList, type SecretSetting, type SettingsDocumentShape } from './document-shape';
import { SettingsSecrets } from './settings-secrets';

export interface AccountSettings {
  accountId: string;
  emailProvider?: string;
  tenantId?: string;
  clientId?: string;
  /** Decrypted when it was stored encrypted. */
  clientSecret?: string;
  senderEmail?: string;
  /** A national cloud name overriding MS_GRAPH_CLOUD; checked by resolveSender. */
  cloud?: string;
  clientSecretExpiresAt?: Date;
  /** PEM, decrypted when it was stored encrypted. */
  certificatePrivateKey?: string;
  certificateThumbprint?: string;
  certificatePem?: string;
  certificateExpiresAt?: Date;
  /** Lower-cased, without a leading @; a user's Sender e-mail must be at one of them. Undefined: any. */
  allowedSenderDomains?: string[];
  /** direct | draft | auto as stored (checked by readSendPlan); undefined: direct. */
  sendMode?: string;
  /** The mailbox's MaxSendSize in MB as stored (number or text; checked by readSendPlan). */
  maxSendSizeMb?: string;
  /** The key id each secret was encrypted under; a secret that is set but not listed here is stored in plaintext. */
  encryptionKeyIds?: Partial<Record<SecretSetting, string>>;
  /** The format of each encrypted secret: v1 values are not bound to their account (settings reencrypt upgrades them). */
  encryptionFormats?: Partial<Record<SecretSetting, SecretFormat>>;
}

export interface UserSettings {
  userId: string;
  accountId?: string;
  emailProvider?: string;
  senderEmail?: string;
}

/** Where account and user settings come from (MongoDB in production, memory for demos). */
export interface SettingsStore {
  findAccount(accountId: string): Promise<AccountSettings | null>;
  findUser(userId: string): Promise<UserSettings | null>;
}

/** For the daily expiry check: kept apart so the send path's SettingsStore stays two methods. */
export interface GraphAccountLister {
  /** Ids of every account whose e-mail provider is Microsoft Graph. */
  listGraphAccountIds(): Promise<string[]>;
}

const NO_SECRETS = new SettingsSecrets();

/**
 * Maps an account document; throws a `settings` DeliveryError when a stored secret cannot be decrypted
 * (or is plaintext and refused). Secrets are opened as the document's own `_id` (the id they are bound to).
 */
export function readAccountSettings(
  document: unknown,
  accountId: string,
  shape: SettingsDocumentShape,
  secrets: SettingsSecrets = NO_SECRETS,
): AccountSettings {
  const { fields } = shape;
  const encryptionKeyIds: Partial<Record<SecretSetting, string>> = {};
  const encryptionFormats: Partial<Record<SecretSetting, SecretFormat>> = {};
  const storedId = (document as { _id?: unknown } | null)?._id;
  const boundTo = storedId === undefined ? accountId : idText(storedId);
  const openSecret = (setting: SecretSetting): string | undefined => {
    const stored = readText(document, fields[setting]);
    if (stored === undefined) return undefined;
    const opened = secrets.open(stored, boundTo, setting);
    if (opened.keyId !== undefined) encryptionKeyIds[setting] = opened.keyId;
    if (opened.format !== undefined) encryptionFormats[setting] = opened.format;
    return opened.value;
  };
  const settings: AccountSettings = {
    accountId,
    emailProvider: readText(document, fields['account.emailProvider']),
    tenantId: readText(document, fields['account.tenantId']),
    clientId: readText(document, fields['account.clientId']),
    clientSecret: openSecret('account.clientSecret'),
    senderEmail: readText(document, fields['account.senderEmail']),
    cloud: readText(document, fields['account.cloud']),
    clientSecretExpiresAt: readDate(document, fields['account.clientSecretExpiresAt']),
    certificatePrivateKey: openSecret('account.certificatePrivateKey'),
    certificateThumbprint: readText(document, fields['account.certificateThumbprint']),
    certificatePem: readText(document, fields['account.certificatePem']),
    certificateExpiresAt: readDate(document, fields['account.certificateExpiresAt']),
    allowedSenderDomains: readTextList(document, fields['account.allowedSenderDomains'])?.map((domain) =>
      domain.replace(/^@/, '').toLowerCase(),
    ),
    sendMode: readText(document, fields['account.sendMode']),
    maxSendSizeMb: readText(document, fields['account.maxSendSizeMb']),
  };
  if (Object.keys(encryptionKeyIds).length > 0) settings.encryptionKeyIds = encryptionKeyIds;
  if (Object.keys(encryptionFormats).length > 0) settings.encryptionFormats = encryptionFormats;
  return settings;
}

export function readUserSettings(document: unknown, userId: string, shape: SettingsDocumentShape): UserSettings {
  const { fields } = shape;
  return {
    userId,
    accountId: readText(document, fields['user.accountId']),
    emailProvider: readText(document, fields['user.emailProvider']),
    senderEmail: readText(document, fields['user.senderEmail']),
  };
}
