// The stand-in's read commands: find, getMore, killCursors, aggregate, count, distinct, with cursors batched as MongoDB batches them.
import { Long, calculateObjectSize, type Document } from 'bson';
import { CommandError, notImplemented } from './command-error';
import { readField } from './documents';
import { findDocuments, matcher, runPipeline } from './query-language';
import type { CommandContext } from './standin-context';

const DEFAULT_FIRST_BATCH = 101;
/** A reply holds at most 16 MiB of documents, as MongoDB's does; GridFS chunks of 255 KiB hit this quickly. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 16 * 1024;

interface OpenCursor {
  namespace: string;
  remaining: Document[];
}

export class CursorRegistry {
  private readonly cursors = new Map<string, OpenCursor>();
  private nextId = 1n;

  /** The first batch and the cursor id (0 when nothing is left). */
  open(namespace: string, documents: Document[], batchSize: number | undefined, singleBatch: boolean): Document {
    const batch = takeBatch(documents, batchSize ?? DEFAULT_FIRST_BATCH);
    let id = Long.ZERO;
    if (documents.length > 0 && !singleBatch) {
      id = Long.fromBigInt(this.nextId++);
      this.cursors.set(id.toString(), { namespace, remaining: documents });
    }
    return { cursor: { firstBatch: batch, id, ns: namespace } };
  }

  more(id: Long, collection: string, database: string, batchSize: number | undefined): Document {
    const cursor = this.cursors.get(id.toString());
    if (!cursor) throw new CommandError('CursorNotFound', `cursor id ${id.toString()} not found`);
    if (cursor.namespace !== `${database}.${collection}`) {
      throw new CommandError(
        'BadValue',
        `Requested getMore on namespace '${database}.${collection}', but cursor belongs to '${cursor.namespace}'`,
      );
    }
    const batch = takeBatch(cursor.remaining, batchSize ?? Number.MAX_SAFE_INTEGER);
    if (cursor.remaining.length === 0) this.cursors.delete(id.toString());
    return { cursor: { nextBatch: batch, id: cursor.remaining.length === 0 ? Long.ZERO : id, ns: cursor.namespace } };
  }

  kill(ids: Long[]): Document {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) (this.cursors.delete(id.toString()) ? killed : notFound).push(id);
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [] };
  }
}

/** Removes and returns the next batch from `documents`: at most `count`, at most 16 MiB, at least one document. */
function takeBatch(documents: Document[], count: number): Document[] {
  let bytes = 0;
  let taken = 0;
  while (taken < documents.length && taken < count) {
    bytes += calculateObjectSize(documents[taken]!);
    if (taken > 0 && bytes > MAX_BATCH_BYTES) break;
    taken += 1;
  }
  return documents.splice(0, taken);
}

function checkNoCollation(command: Document): void {
  if (command.collation !== undefined) throw notImplemented('collation');
}

export function find(command: Document, { catalog, cursors, database }: CommandContext): Document {
  checkNoCollation(command);
  if (command.tailable || command.awaitData) throw notImplemented('tailable cursors');
  const collection = catalog.find(database, String(command.find));
  const limit = typeof command.limit === 'number' ? command.limit : undefined;
  if (limit !== undefined && limit < 0) throw new CommandError('BadValue', 'limit must be a non-negative number');
  const documents = findDocuments(collection?.documents ?? [], (command.filter as Document) ?? {}, {
    sort: command.sort as Document | undefined,
    skip: command.skip as number | undefined,
    limit,
    projection: command.projection as Document | undefined,
  });
  return cursors.open(
    `${database}.${String(command.find)}`,
    documents,
    command.batchSize as number | undefined,
    command.singleBatch === true,
  );
}

export function getMore(command: Document, { cursors, database }: CommandContext): Document {
  const id = command.getMore instanceof Long ? command.getMore : Long.fromNumber(Number(command.getMore));
  return cursors.more(id, String(command.collection), database, command.batchSize as number | undefined);
}

export function killCursors(command: Document, { cursors }: CommandContext): Document {
  const ids = ((command.cursors as unknown[]) ?? []).map((id) => (id instanceof Long ? id : Long.fromNumber(Number(id))));
  return cursors.kill(ids);
}

export function aggregate(command: Document, { catalog, cursors, database }: CommandContext): Document {
  checkNoCollation(command);
  if (typeof command.aggregate !== 'string') throw notImplemented('A database-level aggregate');
  if (command.explain) throw notImplemented('explain');
  if (command.cursor === undefined) {
    throw new CommandError('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
  }
  const pipeline = command.pipeline as Document[];
  if (!Array.isArray(pipeline)) throw new CommandError('TypeMismatch', "'pipeline' option must be specified as an array");
  const collection = catalog.find(database, command.aggregate);
  const documents = runPipeline(collection?.documents ?? [], pipeline);
  return cursors.open(`${database}.${command.aggregate}`, documents, (command.cursor as Document).batchSize as number | undefined, false);
}

export function count(command: Document, { catalog, database }: CommandContext): Document {
  checkNoCollation(command);
  const collection = catalog.find(database, String(command.count));
  const matches = matcher((command.query as Document) ?? {});
  let n = (collection?.documents ?? []).filter(matches).length;
  n = Math.max(0, n - ((command.skip as number) ?? 0));
  if (typeof command.limit === 'number' && command.limit !== 0) n = Math.min(n, Math.abs(command.limit));
  return { n };
}

export function distinct(command: Document, { catalog, database }: CommandContext): Document {
  checkNoCollation(command);
  const collection = catalog.find(database, String(command.distinct));
  const matches = matcher((command.query as Document) ?? {});
  const values = new Map<string, unknown>();
  for (const document of (collection?.documents ?? []).filter(matches)) {
    const value = readField(document, String(command.key));
    if (Array.isArray(value)) throw notImplemented('distinct over array fields');
    if (value !== undefined) values.set(JSON.stringify(value), value);
  }
  return { values: [...values.values()] };
}
