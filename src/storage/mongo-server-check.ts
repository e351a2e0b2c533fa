// The start-up check of the MongoDB server: which server it is (buildInfo, hello), and a probe of the features the
// delivery store needs (update pipelines; the wildcard index is checked as the indexes are built), so an unsupported
// server (Amazon DocumentDB, Azure Cosmos DB for MongoDB, MongoDB before 4.2) is refused plainly at start-up.
import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { toError } from '@omikai/graph-mailer-client';

const SUPPORTED = 'This worker runs on MongoDB 6.0, 7.0 or 8.0 (self-hosted or Atlas), best as a replica set; see docs/mongodb.md.';
const OLDEST_TESTED_MAJOR = 6;

export interface MongoServerReport {
  version: string;
  topology: 'standalone' | 'replica set' | 'sharded cluster';
  /** A MongoDB-compatible service recognised by its host name; it is not MongoDB. */
  platform?: 'Amazon DocumentDB' | 'Azure Cosmos DB for MongoDB';
}

export class UnsupportedMongoServerError extends Error {
  override name = 'UnsupportedMongoServerError';
}

/** Pure: the compatible service a host name belongs to, if any. */
export function platformOfHost(host: string): MongoServerReport['platform'] {
  if (/\.docdb(-elastic)?\.amazonaws\.com$/i.test(host)) return 'Amazon DocumentDB';
  if (/\.(mongo|mongocluster)\.cosmos\.azure\.com$/i.test(host)) return 'Azure Cosmos DB for MongoDB';
  return undefined;
}

export async function checkMongoServer(connection: Connection, deliveryCollection: string, logger: Logger): Promise<MongoServerReport> {
  const db = connection.db;
  if (!db) throw new Error('checkMongoServer needs a connected connection');
  const [build, hello] = await Promise.all([db.admin().command({ buildInfo: 1 }), db.admin().command({ hello: 1 })]);
  const platform = platformOfHost(connection.host);
  const report: MongoServerReport = {
    version: String(build.version),
    topology: hello.msg === 'isdbgrid' ? 'sharded cluster' : typeof hello.setName === 'string' ? 'replica set' : 'standalone',
    ...(platform ? { platform } : {}),
  };
  const server = `the MongoDB server at ${connection.host} (${platform ?? 'MongoDB'}, version ${report.version})`;
  await probeUpdatePipeline(connection, deliveryCollection, server);

  const major = Number.parseInt(report.version, 10);
  if (platform)
    logger.warn(
      { mongodb: report },
      `${server} is not MongoDB; it answered the start-up probe, but this worker is tested on MongoDB only. ${SUPPORTED}`,
    );
  else if (Number.isFinite(major) && major < OLDEST_TESTED_MAJOR)
    logger.warn({ mongodb: report }, `MongoDB ${report.version} is older than the versions this worker is tested on. ${SUPPORTED}`);
  if (report.topology === 'standalone') {
    logger.warn(
      { mongodb: report },
      'MongoDB is a standalone server: no retryable writes and no failover. Fine for development; run a replica set in production.',
    );
  }
  logger.info({ mongodb: report }, 'MongoDB server checked');
  return report;
}

/**
 * The delivery store counts attempts with an update pipeline (an update given as stages): one probe document,
 * updated that way, then removed. A server without them is refused here instead of failing every job.
 */
async function probeUpdatePipeline(connection: Connection, deliveryCollection: string, server: string): Promise<void> {
  const collection = connection.collection<{ _id: string; probe: number }>(deliveryCollection);
  const _id = `__startup-probe__:${randomUUID()}`;
  try {
    await collection.insertOne({ _id, probe: 1 });
    const updated = await collection.findOneAndUpdate({ _id }, [{ $set: { probe: { $add: ['$probe', 1] } } }], { returnDocument: 'after' });
    if (updated?.probe !== 2) throw new Error(`the update pipeline answered ${JSON.stringify(updated)}`);
  } catch (err: unknown) {
    const detail = toError(err).message;
    if (typeof err === 'object' && err !== null && 'code' in err && (err.code === 13 || err.code === 18)) {
      throw new UnsupportedMongoServerError(
        `The MongoDB user in MONGODB_URI may not write to "${deliveryCollection}" (${detail}); grant it the readWrite role on the database.`,
        { cause: err },
      );
    }
    throw new UnsupportedMongoServerError(
      `${server} does not support update pipelines (an update given as a list of stages, MongoDB 4.2+), which the delivery ` +
        `store uses to count attempts atomically: ${detail}. ${SUPPORTED}`,
      { cause: err },
    );
  } finally {
    await collection.deleteOne({ _id }).catch(() => undefined);
  }
}

/** Says plainly why the delivery indexes could not be built when the reason is the server, not an index in the way. */
export function explainIndexFailure(err: unknown, report: MongoServerReport, collection: string): Error {
  const detail = toError(err).message;
  return new UnsupportedMongoServerError(
    `Could not build the indexes of "${collection}" on MongoDB ${report.version}${report.platform ? ` (${report.platform})` : ''}: ${detail}. ` +
      `They include a wildcard index on correlation.$** (MongoDB 4.2+), which Amazon DocumentDB and Azure Cosmos DB for MongoDB may lack. ${SUPPORTED}`,
    { cause: err },
  );
}
