// The start-up check: on every MongoDB server of this run it passes and says what the server is; on a server
// without update pipelines or wildcard indexes (as Amazon DocumentDB and Azure Cosmos DB for MongoDB lack them),
// start-up fails plainly instead of the first job failing.
import { loadConfig } from '../../config/load-config';
import { connectMongo } from '../../src/delivery/mongo-connection';
import { checkMongoServer, platformOfHost, UnsupportedMongoServerError } from '../../src/storage/mongo-server-check';
import { openStores } from '../../src/storage/open-stores';
import { capturedLogger } from '../support/captured-logger';
import { startMongoStandin, type MongoStandin } from '../support/mongo-standin/standin-server';
import { chosenMongoTargets } from '../support/mongo-targets';

describe.each(chosenMongoTargets())('the start-up check on $name', ({ name, uri }) => {
  it('passes, names the version and topology, and leaves no probe document behind', async () => {
    const connection = await connectMongo(uri);
    const { logger, text } = capturedLogger('debug');
    try {
      const report = await checkMongoServer(connection, 'email_deliveries_check', logger);
      expect(report.version).toMatch(/^\d+\.\d+/);
      if (name === 'mongod-replset') expect(report.topology).toBe('replica set');
      if (name === 'mongod-single' || name === 'mongodb-standin') expect(report.topology).toBe('standalone');
      expect(text()).toContain('MongoDB server checked');
      expect(await connection.collection('email_deliveries_check').countDocuments({})).toBe(0);
    } finally {
      await connection
        .collection('email_deliveries_check')
        .drop()
        .catch(() => undefined);
      await connection.close();
    }
  });
});

describe('a MongoDB-compatible server without what the stores need', () => {
  let standin: MongoStandin | undefined;
  afterEach(() => standin?.stop());

  const startUp = async (lacks: ('update-pipelines' | 'wildcard-indexes')[]) => {
    standin = await startMongoStandin({ lacks });
    const config = loadConfig({ MONGODB_URI: `${standin.uri}erp` });
    return openStores(config, capturedLogger('debug').logger);
  };

  it('without update pipelines: start-up fails saying so, and what runs where', async () => {
    const error = await startUp(['update-pipelines']).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(UnsupportedMongoServerError);
    expect((error as Error).message).toMatch(/does not support update pipelines .* MongoDB 6\.0, 7\.0 or 8\.0 .*docs\/mongodb\.md/);
  });

  it('without wildcard indexes: start-up fails naming the wildcard index', async () => {
    const error = await startUp(['wildcard-indexes']).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(UnsupportedMongoServerError);
    expect((error as Error).message).toMatch(
      /Could not build the indexes of "email_deliveries" .*wildcard index on correlation\.\$\*\*.*docs\/mongodb\.md/,
    );
  });

  it('recognises Amazon DocumentDB and Azure Cosmos DB by their host names', () => {
    expect(platformOfHost('prod.cluster-abc.eu-west-1.docdb.amazonaws.com')).toBe('Amazon DocumentDB');
    expect(platformOfHost('erp.mongo.cosmos.azure.com')).toBe('Azure Cosmos DB for MongoDB');
    expect(platformOfHost('erp.mongocluster.cosmos.azure.com')).toBe('Azure Cosmos DB for MongoDB');
    expect(platformOfHost('cluster0.abcde.mongodb.net')).toBeUndefined();
  });
});
