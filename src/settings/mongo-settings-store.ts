// Reads the ERP's account and user settings from its own MongoDB collections. The ERP owns them,
// so no mongoose model is defined over them: one findOne each, projecting only the configured paths.
import { Types, type Connection } from 'mongoose';
import type { SettingsDocumentShape } from './document-shape';
import { readAccountSettings, readUserSettings, type AccountSettings, type SettingsStore, type UserSettings } from './settings-store';

const OBJECT_ID_HEX = /^[0-9a-fA-F]{24}$/;

/** An ERP account or user document; only its _id is known to be there. */
interface ErpDocument {
  _id: string | Types.ObjectId;
  [field: string]: unknown;
}

export class MongoSettingsStore implements SettingsStore {
  private readonly accountProjection: Record<string, 1>;
  private readonly userProjection: Record<string, 1>;

  constructor(
    private readonly connection: Connection,
    private readonly shape: SettingsDocumentShape,
  ) {
    const paths = Object.entries(shape.fields);
    this.accountProjection = projectionOf(paths.filter(([setting]) => setting.startsWith('account.')).map(([, path]) => path));
    this.userProjection = projectionOf(paths.filter(([setting]) => setting.startsWith('user.')).map(([, path]) => path));
  }

  async findAccount(accountId: string): Promise<AccountSettings | null> {
    const document = await this.connection
      .collection<ErpDocument>(this.shape.accountsCollection)
      .findOne(idFilter(accountId), { projection: this.accountProjection });
    return document === null ? null : readAccountSettings(document, accountId, this.shape);
  }

  async findUser(userId: string): Promise<UserSettings | null> {
    const document = await this.connection
      .collection<ErpDocument>(this.shape.usersCollection)
      .findOne(idFilter(userId), { projection: this.userProjection });
    return document === null ? null : readUserSettings(document, userId, this.shape);
  }
}

/** The ERP stores some ids as strings and some as ObjectIds, so a 24-hex id may be either. */
function idFilter(id: string) {
  return OBJECT_ID_HEX.test(id) ? { _id: { $in: [id, new Types.ObjectId(id)] } } : { _id: id };
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
