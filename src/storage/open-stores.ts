// Opens the settings and delivery stores the configuration asks for: MongoDB, or memory for demos.
import type { Logger } from 'pino';
import type { Config } from '../service-config';
import { type DeliveryCancellation, type DeliveryStore, DirectoryPayloadStore, type PayloadStore } from '@omikai/graph-mailer-client';
import { MemoryDeliveryStore } from '../delivery/memory-delivery-store';
import { connectMongo } from '../delivery/mongo-connection';
import { IndexConflictError } from '../delivery/index-conflicts';
import { MongoDeliveryStore } from '../delivery/mongo-delivery-store';
import { checkMongoServer, explainIndexFailure } from './mongo-server-check';
import type { SecretRewriter } from '../secrets/reencrypt-settings';
import { MemorySettingsStore } from '../settings/memory-settings-store';
import { MongoSettingsStore } from '../settings/mongo-settings-store';
import type { GraphAccountLister, SettingsStore } from '../settings/settings-store';
import { GridFsPayloadStore } from '@omikai/graph-mailer-client/gridfs';

export interface Stores {
  /** Also lists accounts (expiry check) and rewrites secrets (re-encryption); the send path uses only SettingsStore. */
  settings: SettingsStore & GraphAccountLister & SecretRewriter;
  /** Also cancels (ops cancel); the send path uses only DeliveryStore. */
  deliveries: DeliveryStore & DeliveryCancellation;
  /** E-mail content behind job references: GridFS with MongoDB, the CONTENT_DIR directory with STORE=memory. */
  payloads: PayloadStore;
  close(): Promise<void>;
}

export async function openStores(
  config: Pick<Config, 'store' | 'settings' | 'deliveryCollection' | 'content'> & Partial<Pick<Config, 'credentials'>>,
  logger: Logger,
): Promise<Stores> {
  // The keys decrypt secrets as settings are read; the logger gets the one-time plaintext warnings.
  const secrets = {
    ...(config.credentials?.keyring ? { keyring: config.credentials.keyring } : {}),
    requireEncrypted: config.credentials?.requireEncrypted ?? false,
    logger,
  };
  if (config.store.kind === 'memory') {
    logger.warn(
      { settingsFile: config.store.settingsFile },
      'STORE=memory: settings come from a file and DELIVERY RECORDS ARE KEPT ONLY IN MEMORY and lost on exit. For demos only; use MongoDB in production.',
    );
    return {
      settings: await MemorySettingsStore.fromFile(config.store.settingsFile, config.settings.shape, secrets),
      deliveries: new MemoryDeliveryStore(),
      payloads: new DirectoryPayloadStore(config.content.directory),
      close: async () => {},
    };
  }
  const connection = await connectMongo(config.store.uri);
  try {
    // Refuses a server that lacks what the stores need, at start-up rather than at the first job.
    const server = await checkMongoServer(connection, config.deliveryCollection, logger);
    const deliveries = new MongoDeliveryStore(connection, config.deliveryCollection);
    await deliveries.ensureIndexes().catch((err: unknown) => {
      throw err instanceof IndexConflictError ? err : explainIndexFailure(err, server, config.deliveryCollection);
    });
    const payloads = new GridFsPayloadStore(connection.db!, config.content.bucketName);
    await payloads.ensureIndexes();
    return {
      settings: new MongoSettingsStore(connection, config.settings.shape, secrets),
      deliveries,
      payloads,
      close: () => connection.close(),
    };
  } catch (err: unknown) {
    await connection.close().catch(() => undefined);
    throw err;
  }
}
