// The stores each contract suite runs against: memory always, and every MongoDB server global-setup chose (a real
// mongod as single server and replica set, MONGODB_URI, or the wire-protocol stand-in; see test/support/mongo-targets.ts).
// Each MongoDB target gets a database of its own (dropped afterwards), each test its own collections.
import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { DeliveryCancellation, DeliveryStore } from '@omikai/graph-mailer-client';
import { MemoryDeliveryStore } from '../../src/delivery/memory-delivery-store';
import { connectMongo } from '../../src/delivery/mongo-connection';
import { MongoDeliveryStore } from '../../src/delivery/mongo-delivery-store';
import type { SettingsDocumentShape } from '../../src/settings/document-shape';
import { MemorySettingsStore, type SettingsDocuments } from '../../src/settings/memory-settings-store';
import { MongoSettingsStore } from '../../src/settings/mongo-settings-store';
import type { SettingsSecretsOptions } from '../../src/settings/settings-secrets';
import type { SettingsStore } from '../../src/settings/settings-store';
import { chosenMongoTargets, type MongoTargetInfo } from '../support/mongo-targets';

/** MongoDB allows database names of up to 63 characters. */
const MAX_DATABASE_NAME_LENGTH = 63;
const SETUP_TIMEOUT_MS = 20_000;

export interface StoreTarget {
  /** 'memory', or which MongoDB: 'mongod-single', 'mongod-replset', 'mongodb-uri', 'mongodb-standin'. */
  name: 'memory' | MongoTargetInfo['name'];
  kind: 'memory' | 'mongodb';
  /** Before the target's tests: connect, when the target has a server. */
  open(): Promise<void>;
  /** After the target's tests: drop what the run created and disconnect. */
  close(): Promise<void>;
  /** A settings store holding exactly these documents, opening secrets with these options (keys, plaintext policy). */
  settingsStore(documents: SettingsDocuments, shape: SettingsDocumentShape, secrets?: SettingsSecretsOptions): Promise<SettingsStore>;
  /** An empty delivery store. */
  deliveryStore(): Promise<DeliveryStore & DeliveryCancellation>;
  /**
   * MongoDB targets: the target's own database (a mongoose Connection, `.db` is the driver's Db), for a suite
   * of another MongoDB-backed store. Use a collection or bucket name of your own per test. Throws for memory.
   */
  database(): Connection;
}

/** Builds a suite's store for whichever target runs: `storeFor(target, { memory: () => …, mongodb: (db) => … })`. */
export async function storeFor<T>(
  target: StoreTarget,
  factories: { memory: () => T | Promise<T>; mongodb: (database: Connection) => T | Promise<T> },
): Promise<T> {
  return target.kind === 'memory' ? factories.memory() : factories.mongodb(target.database());
}

/** Defines `defineTests` once per target: memory, then each MongoDB server of this run. */
export function describeEachTarget(title: string, defineTests: (target: StoreTarget) => void): void {
  describe.each([memoryTarget(), ...chosenMongoTargets().map(mongoTarget)])(`${title} ($name)`, (target) => {
    beforeAll(() => target.open(), SETUP_TIMEOUT_MS);
    afterAll(() => target.close(), SETUP_TIMEOUT_MS);
    defineTests(target);
  });
}

/** For what only the MongoDB stores have (indexes, start-up checks): `defineTests` once per MongoDB server of this run. */
export function describeEachMongoTarget(title: string, defineTests: (target: StoreTarget) => void): void {
  describe.each(chosenMongoTargets().map(mongoTarget))(`${title} ($name)`, (target) => {
    beforeAll(() => target.open(), SETUP_TIMEOUT_MS);
    afterAll(() => target.close(), SETUP_TIMEOUT_MS);
    defineTests(target);
  });
}

function memoryTarget(): StoreTarget {
  return {
    name: 'memory',
    kind: 'memory',
    open: async () => undefined,
    close: async () => undefined,
    settingsStore: async (documents, shape, secrets) => new MemorySettingsStore(documents, shape, secrets),
    deliveryStore: async () => new MemoryDeliveryStore(),
    database: () => {
      throw new Error('The memory target has no MongoDB database; use storeFor() to build a store for either kind');
    },
  };
}

function mongoTarget({ name, uri }: MongoTargetInfo): StoreTarget {
  let server: Connection | undefined;
  let database: Connection | undefined;

  const connected = (): Connection => {
    if (!database) throw new Error(`The ${name} contract target is used before open() connected it`);
    return database;
  };

  return {
    name,
    kind: 'mongodb',
    async open() {
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
    database: connected,
  };
}
