// The stores each contract suite runs against: memory always, MongoDB when MONGODB_URI names a server.
// Each MongoDB run gets a database of its own (dropped afterwards), each test its own collections.
import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { DeliveryStore } from '../../src/delivery/delivery-store';
import { MemoryDeliveryStore } from '../../src/delivery/memory-delivery-store';
import { connectMongo } from '../../src/delivery/mongo-connection';
import { MongoDeliveryStore } from '../../src/delivery/mongo-delivery-store';
import type { SettingsDocumentShape } from '../../src/settings/document-shape';
import { MemorySettingsStore, type SettingsDocuments } from '../../src/settings/memory-settings-store';
import { MongoSettingsStore } from '../../src/settings/mongo-settings-store';
import type { SettingsSecretsOptions } from '../../src/settings/settings-secrets';
import type { SettingsStore } from '../../src/settings/settings-store';

// Test setup, not application config: the suites only need to know whether a server is there.
const MONGODB_URI = process.env.MONGODB_URI || undefined;

const MONGO_SKIPPED_NOTICE =
  'MongoDB contract run skipped: MONGODB_URI is not set ' +
  '(docker compose up mongodb, then MONGODB_URI=mongodb://127.0.0.1:27017/omikai-test npm test)';

/** MongoDB allows database names of up to 63 characters. */
const MAX_DATABASE_NAME_LENGTH = 63;
const SETUP_TIMEOUT_MS = 20_000;

export interface StoreTarget {
  name: 'memory' | 'mongodb';
  /** Before the target's tests: connect, when the target has a server. */
  open(): Promise<void>;
  /** After the target's tests: drop what the run created and disconnect. */
  close(): Promise<void>;
  /** A settings store holding exactly these documents, opening secrets with these options (keys, plaintext policy). */
  settingsStore(documents: SettingsDocuments, shape: SettingsDocumentShape, secrets?: SettingsSecretsOptions): Promise<SettingsStore>;
  /** An empty delivery store. */
  deliveryStore(): Promise<DeliveryStore>;
}

/**
 * Defines `defineTests` once per target. The MongoDB target is always listed, and shown as skipped
 * (with a notice saying how to run it) when MONGODB_URI is not set.
 */
export function describeEachTarget(title: string, defineTests: (target: StoreTarget) => void): void {
  const defineTargetTests = (target: StoreTarget) => {
    beforeAll(() => target.open(), SETUP_TIMEOUT_MS);
    afterAll(() => target.close(), SETUP_TIMEOUT_MS);
    defineTests(target);
  };
  describe.each([memoryTarget()])(`${title} ($name)`, (target) => {
    beforeAll(warnOnceIfMongoSkipped);
    defineTargetTests(target);
  });
  // Skipped, not left out, without MONGODB_URI: this machine has no MongoDB server (and
  // mongodb-memory-server cannot download one), and a run that silently shrinks to the memory
  // store would look like the MongoDB stores had passed.
  (MONGODB_URI === undefined ? describe.skip : describe).each([mongoTarget(MONGODB_URI)])(`${title} ($name)`, defineTargetTests);
}

let mongoSkipWarned = false;

function warnOnceIfMongoSkipped(): void {
  if (MONGODB_URI !== undefined || mongoSkipWarned) return;
  mongoSkipWarned = true;
  console.warn(MONGO_SKIPPED_NOTICE);
}

function memoryTarget(): StoreTarget {
  return {
    name: 'memory',
    open: async () => undefined,
    close: async () => undefined,
    settingsStore: async (documents, shape, secrets) => new MemorySettingsStore(documents, shape, secrets),
    deliveryStore: async () => new MemoryDeliveryStore(),
  };
}

function mongoTarget(uri: string | undefined): StoreTarget {
  let server: Connection | undefined;
  let database: Connection | undefined;

  const connected = (): Connection => {
    if (!database) throw new Error('The MongoDB contract target is used before open() connected it');
    return database;
  };

  return {
    name: 'mongodb',
    async open() {
      if (uri === undefined) throw new Error('The MongoDB contract target needs MONGODB_URI');
      server = await connectMongo(uri);
      // Named after the URI's database, so a run never touches that database itself.
      const base = server.name.slice(0, MAX_DATABASE_NAME_LENGTH - 37);
      database = server.useDb(`${base}-${randomUUID()}`, { useCache: false });
    },
    async close() {
      try {
        if (database) await database.dropDatabase();
      } finally {
        await server?.close();
      }
    },
    async settingsStore(documents, shape, secrets) {
      const suffix = randomUUID();
      const ownShape = {
        ...shape,
        accountsCollection: `${shape.accountsCollection}-${suffix}`,
        usersCollection: `${shape.usersCollection}-${suffix}`,
      };
      const db = connected();
      // Copies: insertMany would add an _id to a document that has none.
      if (documents.accounts.length > 0)
        await db.collection(ownShape.accountsCollection).insertMany(documents.accounts.map((doc) => ({ ...doc })));
      if (documents.users.length > 0) await db.collection(ownShape.usersCollection).insertMany(documents.users.map((doc) => ({ ...doc })));
      return new MongoSettingsStore(db, ownShape, secrets);
    },
    async deliveryStore() {
      const store = new MongoDeliveryStore(connected(), `deliveries-${randomUUID()}`);
      await store.ensureIndexes();
      return store;
    },
  };
}
