// The stand-in's data: databases of collections, each an array of documents in insertion order plus its indexes.
// Every write goes through here, so the unique indexes are checked on every path that changes a document.
import type { Document } from 'bson';
import { CommandError } from './command-error';
import { indexKeyOf } from './documents';
import { checkUnique, ID_INDEX, planIndex, type IndexSpec } from './index-catalog';

export class StandinCollection {
  readonly documents: Document[] = [];
  readonly indexes: IndexSpec[] = [{ ...ID_INDEX }];

  constructor(readonly namespace: string) {}

  insert(document: Document): void {
    checkUnique(this.namespace, this.indexes, this.documents, document);
    this.documents.push(document);
  }

  /** Replaces `current` (a stored document) with `next`, which must keep its _id. */
  replace(current: Document, next: Document): void {
    if (indexKeyOf(current._id) !== indexKeyOf(next._id)) {
      throw new CommandError('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
    }
    checkUnique(this.namespace, this.indexes, this.documents, next, current);
    this.documents[this.documents.indexOf(current)] = next;
  }

  remove(document: Document): void {
    this.documents.splice(this.documents.indexOf(document), 1);
  }

  /** True when the index was created; a unique index is refused while the documents already break it. */
  createIndex(spec: IndexSpec): boolean {
    if (planIndex(this.indexes, spec) === 'exists') return false;
    const checked: Document[] = [];
    for (const document of this.documents) {
      checkUnique(this.namespace, [spec], checked, document);
      checked.push(document);
    }
    this.indexes.push(spec);
    return true;
  }
}

export class StandinCatalog {
  private readonly databases = new Map<string, Map<string, StandinCollection>>();

  find(database: string, name: string): StandinCollection | undefined {
    return this.databases.get(database)?.get(name);
  }

  /** The collection, created when missing (as MongoDB creates one on its first write or index). */
  obtain(database: string, name: string): { collection: StandinCollection; created: boolean } {
    checkCollectionName(name);
    let collections = this.databases.get(database);
    if (!collections) this.databases.set(database, (collections = new Map()));
    const existing = collections.get(name);
    if (existing) return { collection: existing, created: false };
    const collection = new StandinCollection(`${database}.${name}`);
    collections.set(name, collection);
    return { collection, created: true };
  }

  drop(database: string, name: string): boolean {
    return this.databases.get(database)?.delete(name) ?? false;
  }

  dropDatabase(database: string): void {
    this.databases.delete(database);
  }

  collectionNames(database: string): string[] {
    return [...(this.databases.get(database)?.keys() ?? [])];
  }

  databaseNames(): string[] {
    return [...this.databases.keys()].filter((name) => (this.databases.get(name)?.size ?? 0) > 0);
  }
}

function checkCollectionName(name: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('$') || name.includes('\0') || name.startsWith('system.')) {
    throw new CommandError('InvalidOptions', `Invalid collection name: ${String(name)}`);
  }
}
