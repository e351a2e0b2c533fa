// Settings held in memory, seeded with documents shaped like the ERP's MongoDB documents.
// For demos, tests and benchmarks; production reads MongoDB.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { SecretRewriter, StoredSecret } from '../secrets/reencrypt-settings';
import { SECRET_SETTINGS, idText, readText, writePath, type SettingsDocumentShape } from './document-shape';
import { SettingsSecrets, type SettingsSecretsOptions } from './settings-secrets';
import {
  readAccountSettings,
  readUserSettings,
  type AccountSettings,
  type GraphAccountLister,
  type SettingsStore,
  type UserSettings,
} from './settings-store';

export interface SettingsDocuments {
  accounts: Record<string, unknown>[];
  users: Record<string, unknown>[];
}

const settingsFileSchema = z.object({
  accounts: z.array(z.record(z.string(), z.unknown())).default([]),
  users: z.array(z.record(z.string(), z.unknown())).default([]),
});

export class MemorySettingsStore implements SettingsStore, GraphAccountLister, SecretRewriter {
  private readonly accounts = new Map<string, Record<string, unknown>>();
  private readonly users = new Map<string, unknown>();
  private readonly secrets: SettingsSecrets;

  constructor(
    documents: SettingsDocuments,
    private readonly shape: SettingsDocumentShape,
    options: SettingsSecretsOptions = {},
  ) {
    for (const account of documents.accounts) this.accounts.set(idText(account._id), account);
    for (const user of documents.users) this.users.set(idText(user._id), user);
    this.secrets = new SettingsSecrets(options);
  }

  /** Reads `{ "accounts": [...], "users": [...] }`, each document as it would be stored in MongoDB. */
  static async fromFile(path: string, shape: SettingsDocumentShape, options: SettingsSecretsOptions = {}): Promise<MemorySettingsStore> {
    const parsed = settingsFileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (!parsed.success) {
      throw new Error(`SETTINGS_FILE ${path} is not {"accounts": [...], "users": [...]}: ${parsed.error.message}`);
    }
    return new MemorySettingsStore(parsed.data, shape, options);
  }

  async findAccount(accountId: string): Promise<AccountSettings | null> {
    const document = this.accounts.get(accountId);
    return document === undefined ? null : readAccountSettings(document, accountId, this.shape, this.secrets);
  }

  async findUser(userId: string): Promise<UserSettings | null> {
    const document = this.users.get(userId);
    return document === undefined ? null : readUserSettings(document, userId, this.shape);
  }

  async listGraphAccountIds(): Promise<string[]> {
    const providerPath = this.shape.fields['account.emailProvider'];
    return [...this.accounts]
      .filter(([, document]) => readText(document, providerPath) === this.shape.graphProviderValue)
      .map(([accountId]) => accountId);
  }

  async rewriteAccountSecrets(rewrite: (secret: StoredSecret) => string | undefined): Promise<{ written: number; conflicts: number }> {
    let written = 0;
    for (const [accountId, document] of this.accounts) {
      for (const setting of SECRET_SETTINGS) {
        const path = this.shape.fields[setting];
        const value = path === undefined ? undefined : readText(document, path);
        if (path === undefined || value === undefined) continue;
        const next = rewrite({ accountId, setting, value });
        if (next === undefined || next === value) continue;
        writePath(document, path, next);
        written += 1;
      }
    }
    return { written, conflicts: 0 };
  }
}
