// Reading the ERP's e-mail settings: the interface both stores implement, and the mapping
// from stored documents to the settings this project needs.
import { readText, type SettingsDocumentShape } from './document-shape';

export interface AccountSettings {
  accountId: string;
  emailProvider?: string;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  senderEmail?: string;
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

export function readAccountSettings(document: unknown, accountId: string, shape: SettingsDocumentShape): AccountSettings {
  const { fields } = shape;
  return {
    accountId,
    emailProvider: readText(document, fields['account.emailProvider']),
    tenantId: readText(document, fields['account.tenantId']),
    clientId: readText(document, fields['account.clientId']),
    clientSecret: readText(document, fields['account.clientSecret']),
    senderEmail: readText(document, fields['account.senderEmail']),
  };
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
