// Settings held in memory, seeded with documents shaped like the ERP's MongoDB documents.
// For demos, tests and benchmarks; production reads MongoDB.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { SettingsDocumentShape } from './document-shape';
import { readAccountSettings, readUserSettings, type AccountSettings, type SettingsStore, type UserSettings } from './settings-store';

export interface SettingsDocuments {
  accounts: Record<string, unknown>[];
  users: Record<string, unknown>[];
}

const settingsFileSchema = z.object({
  accounts: z.array(z.record(z.string(), z.unknown())).default([]),
  users: z.array(z.record(z.string(), z.unknown())).default([]),
});

export class MemorySettingsStore implements SettingsStore {
  private readonly accounts = new Map<string, unknown>();
  private readonly users = new Map<string, unknown>();

  constructor(
    documents: SettingsDocuments,
    private readonly shape: SettingsDocumentShape,
  ) {
    for (const account of documents.accounts) this.accounts.set(String(account._id), account);
    for (const user of documents.users) this.users.set(String(user._id), user);
  }

  /** Reads `{ "accounts": [...], "users": [...] }`, each document as it would be stored in MongoDB. */
  static async fromFile(path: string, shape: SettingsDocumentShape): Promise<MemorySettingsStore> {
    const parsed = settingsFileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (!parsed.success) {
      throw new Error(`SETTINGS_FILE ${path} is not {"accounts": [...], "users": [...]}: ${parsed.error.message}`);
    }
    return new MemorySettingsStore(parsed.data, shape);
  }

  async findAccount(accountId: string): Promise<AccountSettings | null> {
    const document = this.accounts.get(accountId);
    return document === undefined ? null : readAccountSettings(document, accountId, this.shape);
  }

  async findUser(userId: string): Promise<UserSettings | null> {
    const document = this.users.get(userId);
    return document === undefined ? null : readUserSettings(document, userId, this.shape);
  }
}
