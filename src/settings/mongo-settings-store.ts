// Reads the ERP's account and user settings from its own MongoDB collections. The ERP owns them,
// so no mongoose model is defined over them: one findOne each, projecting only the configured paths.
import { Types, type Connection } from 'mongoose';
import type { SecretRewriter, StoredSecret } from '../secrets/reencrypt-settings';
import { SECRET_SETTINGS, idText, readPath, readText, type SettingsDocumentShape } from './document-shape';
import { SettingsSecrets, type SettingsSecretsOptions } from './settings-secrets';
import {
  readAccountSettings,
  readUserSettings,
  type AccountSettings,
  type GraphAccountLister,
  type SettingsStore,
  type UserSettings,
} from './settings-store';

const OBJECT_ID_HEX = /^[0-9a-fA-F]{24}$/;

/** An ERP account or user document; only its _id is known to be there. */
interface ErpDocument {
  _id: string | number | Types.ObjectId;
  [field: string]: unknown;
}

export class MongoSettingsStore implements SettingsStore, GraphAccountLister, SecretRewriter {
  private readonly accountProjection: Record<string, 1>;
  private readonly userProjection: Record<string, 1>;
  private readonly secrets: SettingsSecrets;

  constructor(
    private readonly connection: Connection,
    private readonly shape: SettingsDocumentShape,
    options: SettingsSecretsOptions = {},
  ) {
    const paths = Object.entries(shape.fields).filter((entry): entry is [string, string] => entry[1] !== undefined);
    this.accountProjection = projectionOf(paths.filter(([setting]) => setting.startsWith('account.')).map(([, path]) => path));
    this.userProjection = projectionOf(paths.filter(([setting]) => setting.startsWith('user.')).map(([, path]) => path));
    this.secrets = new SettingsSecrets(options);
  }

  async findAccount(accountId: string): Promise<AccountSettings | null> {
    const document = await this.accounts().findOne(idFilter(accountId), { projection: this.accountProjection });
    return document === null ? null : readAccountSettings(document, accountId, this.shape, this.secrets);
  }

  async findUser(userId: string): Promise<UserSettings | null> {
    const document = await this.connection
      .collection<ErpDocument>(this.shape.usersCollection)
      .findOne(idFilter(userId), { projection: this.userProjection });
    return document === null ? null : readUserSettings(document, userId, this.shape);
  }

  async listGraphAccountIds(): Promise<string[]> {
    const providerPath = this.shape.fields['account.emailProvider'];
    // The send path trims the stored value (readText); a containing match finds every candidate, and
    // readText then applies exactly the send path's rule, so the two never disagree.
    const documents = await this.accounts()
      .find({ [providerPath]: { $regex: escapeRegex(this.shape.graphProviderValue) } }, { projection: { _id: 1, [providerPath]: 1 } })
      .toArray();
    return documents
      .filter((document) => readText(document, providerPath) === this.shape.graphProviderValue)
      .map((document) => idText(document._id));
  }

  /** One updateOne per account, filtered on the values read, so an edit made meanwhile is not overwritten. */
  async rewriteAccountSecrets(rewrite: (secret: StoredSecret) => string | undefined): Promise<{ written: number; conflicts: number }> {
    const secretPaths = SECRET_SETTINGS.flatMap((setting) => {
      const path = this.shape.fields[setting];
      return path === undefined ? [] : [{ setting, path }];
    });
    if (secretPaths.length === 0) return { written: 0, conflicts: 0 };
    // In _id order, so the scan is stable while it writes.
    const cursor = this.accounts()
      .find(
        { $or: secretPaths.map(({ path }) => ({ [path]: { $type: 'string' } })) },
        { projection: projectionOf(secretPaths.map(({ path }) => path)) },
      )
      .sort({ _id: 1 });
    let written = 0;
    let conflicts = 0;
    for await (const document of cursor) {
      const accountId = idText(document._id);
      const expected: Record<string, string> = {};
      const updates: Record<string, string> = {};
      for (const { setting, path } of secretPaths) {
        const stored = readPath(document, path);
        if (typeof stored !== 'string' || stored.trim() === '') continue;
        const next = rewrite({ accountId, setting, value: stored.trim() });
        if (next === undefined || next === stored.trim()) continue;
        expected[path] = stored;
        updates[path] = next;
      }
      const count = Object.keys(updates).length;
      if (count === 0) continue;
      const result = await this.accounts().updateOne({ _id: document._id, ...expected }, { $set: updates });
      if (result.matchedCount === 1) written += count;
      else conflicts += count;
    }
    return { written, conflicts };
  }

  private accounts() {
    return this.connection.collection<ErpDocument>(this.shape.accountsCollection);
  }
}

/**
 * The ERP stores ids as strings, ObjectIds or numbers, and a job names them as text: a 24-hex id may be
 * either of the first two, and "42" may be the string or the number (MongoDB matches 42 as int, long or double).
 */
function idFilter(id: string) {
  const candidates: ErpDocument['_id'][] = [id];
  if (OBJECT_ID_HEX.test(id)) candidates.push(new Types.ObjectId(id));
  if (isNumericId(id)) candidates.push(Number(id));
  return candidates.length === 1 ? { _id: id } : { _id: { $in: candidates } };
}

/** Text that a number prints as exactly ("42", "-7", "1.5"; not "042" or "42.0"), as readText and the memory store print it. */
function isNumericId(id: string): boolean {
  const value = Number(id);
  return id.trim() === id && id !== '' && Number.isFinite(value) && String(value) === id;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** MongoDB rejects a projection naming both "a" and "a.b" (path collision); "a" already brings "a.b". */
function projectionOf(paths: string[]): Record<string, 1> {
  const kept: string[] = [];
  // Sorted, a path comes after every path that is a prefix of it.
  for (const path of [...new Set(paths)].sort()) {
    if (!kept.some((parent) => path.startsWith(`${parent}.`))) kept.push(path);
  }
  return Object.fromEntries(kept.map((path) => [path, 1 as const]));
}
