// The stand-in's handshake, server, collection and index commands (hello, buildInfo, listCollections, createIndexes, …).
import type { Document } from 'bson';
import { CommandError, notImplemented } from './command-error';
import { validateIndexSpec } from './index-catalog';
import { matcher } from './query-language';
import { checkFeature, type CommandContext } from './standin-context';

/** The MongoDB release whose behaviour the stand-in follows; also what it reports, so drivers pick that wire version. */
export const STANDIN_SERVER_VERSION = '6.0.0';
const MAX_WIRE_VERSION = 17; // MongoDB 6.0

export function hello(command: Document, { connectionId }: CommandContext): Document {
  // Monitoring polls instead of streaming: without topologyVersion the driver does not wait on an awaitable hello.
  return {
    helloOk: true,
    ...('hello' in command ? { isWritablePrimary: true } : { ismaster: true }),
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
  };
}

export function buildInfo(): Document {
  const [major, minor, patch] = STANDIN_SERVER_VERSION.split('.').map(Number);
  return {
    version: STANDIN_SERVER_VERSION,
    gitVersion: 'omikai-test-standin',
    versionArray: [major, minor, patch, 0],
    bits: 64,
    maxBsonObjectSize: 16 * 1024 * 1024,
    storageEngines: ['standin-memory'],
    modules: [],
  };
}

export function listDatabases(_command: Document, { catalog }: CommandContext): Document {
  return { databases: catalog.databaseNames().map((name) => ({ name, sizeOnDisk: 0, empty: false })), totalSize: 0 };
}

export function listCollections(command: Document, { catalog, database, cursors }: CommandContext): Document {
  const filter = matcher((command.filter as Document) ?? {});
  const collections = catalog
    .collectionNames(database)
    .map((name) => ({ name, type: 'collection', options: {}, info: { readOnly: false }, idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } }))
    .filter(filter)
    .map((entry) => (command.nameOnly ? { name: entry.name, type: entry.type } : entry));
  return cursors.open(
    `${database}.$cmd.listCollections`,
    collections,
    (command.cursor as Document | undefined)?.batchSize as number | undefined,
    false,
  );
}

export function create(command: Document, { catalog, database }: CommandContext): Document {
  for (const option of ['capped', 'timeseries', 'validator', 'viewOn', 'clusteredIndex', 'collation']) {
    if (command[option] !== undefined) throw notImplemented(`create with ${option}`);
  }
  if (!catalog.obtain(database, String(command.create)).created) {
    throw new CommandError('NamespaceExists', `Collection ${database}.${String(command.create)} already exists.`);
  }
  return {};
}

export function drop(command: Document, { catalog, database }: CommandContext): Document {
  if (!catalog.drop(database, String(command.drop))) throw new CommandError('NamespaceNotFound', 'ns not found');
  return { ns: `${database}.${String(command.drop)}`, nIndexesWas: 1 };
}

export function dropDatabase(_command: Document, { catalog, database }: CommandContext): Document {
  catalog.dropDatabase(database);
  return { dropped: database };
}

export function createIndexes(command: Document, context: CommandContext): Document {
  const { catalog, database } = context;
  if (command.commitQuorum !== undefined && command.commitQuorum !== 'votingMembers') throw notImplemented('commitQuorum');
  const specs = ((command.indexes as Document[]) ?? []).map(validateIndexSpec);
  if (specs.length === 0) throw new CommandError('BadValue', 'Must specify at least one index to create');
  if (specs.some((spec) => Object.keys(spec.key).some((field) => field.endsWith('$**')))) checkFeature(context, 'wildcard-indexes');
  const { collection, created } = catalog.obtain(database, String(command.createIndexes));
  const before = collection.indexes.length;
  // All or nothing, as MongoDB builds the indexes of one command together.
  try {
    for (const spec of specs) collection.createIndex(spec);
  } catch (err: unknown) {
    collection.indexes.splice(before);
    throw err;
  }
  if (collection.indexes.length === before) {
    return {
      numIndexesBefore: before,
      numIndexesAfter: before,
      note: 'all indexes already exist',
      createdCollectionAutomatically: created,
    };
  }
  return { createdCollectionAutomatically: created, numIndexesBefore: before, numIndexesAfter: collection.indexes.length };
}

export function listIndexes(command: Document, { catalog, database, cursors }: CommandContext): Document {
  const collection = catalog.find(database, String(command.listIndexes));
  if (!collection) throw new CommandError('NamespaceNotFound', `ns does not exist: ${database}.${String(command.listIndexes)}`);
  return cursors.open(
    `${database}.${String(command.listIndexes)}`,
    collection.indexes.map((index) => ({ ...index })),
    undefined,
    false,
  );
}

export function dropIndexes(command: Document, { catalog, database }: CommandContext): Document {
  const collection = catalog.find(database, String(command.dropIndexes));
  if (!collection) throw new CommandError('NamespaceNotFound', `ns not found ${database}.${String(command.dropIndexes)}`);
  const before = collection.indexes.length;
  const wanted = command.index;
  const names =
    wanted === '*'
      ? collection.indexes.map((index) => index.name).filter((name) => name !== '_id_')
      : Array.isArray(wanted)
        ? wanted
        : [wanted];
  for (const name of names) {
    const position = collection.indexes.findIndex((index) =>
      typeof name === 'string' ? index.name === name : JSON.stringify(index.key) === JSON.stringify(name),
    );
    if (position < 0)
      throw new CommandError('IndexNotFound', `index not found with name [${typeof name === 'string' ? name : JSON.stringify(name)}]`);
    if (collection.indexes[position]!.name === '_id_') throw new CommandError('InvalidOptions', 'cannot drop _id index');
    collection.indexes.splice(position, 1);
  }
  return { nIndexesWas: before };
}
