// Decides, once per test run, which MongoDB servers the contract suites run against, and says so loudly:
// MONGODB_URI when set; else a real mongod (single server and replica set); else the wire-protocol stand-in.
import { startMongoStandin } from './mongo-standin/standin-server';
import { startRealMongods } from './real-mongod';

/** One MongoDB server the MongoDB half of the contract suites runs against. */
export interface MongoTargetInfo {
  name: 'mongodb-uri' | 'mongod-single' | 'mongod-replset' | 'mongodb-standin';
  uri: string;
  /** For people: what this server is. */
  label: string;
}

/** How global-setup hands the targets to the test files (jest workers inherit its environment). */
export const MONGO_TARGETS_VARIABLE = 'TEST_MONGODB_TARGETS';

export interface StartedMongoTargets {
  targets: MongoTargetInfo[];
  /** The loud lines the run prints at its start and its end. */
  banner: string;
  stop(): Promise<void>;
}

export async function startMongoTargets(log: (line: string) => void): Promise<StartedMongoTargets> {
  const startedAt = Date.now();
  const uri = process.env.MONGODB_URI;
  if (uri) {
    // Only the host is shown: the URI may hold a password.
    const host = uri.replace(/^mongodb(\+srv)?:\/\/([^@/]*@)?/, '').split('/')[0];
    const label = `the MongoDB server at MONGODB_URI (${host})`;
    return { targets: [{ name: 'mongodb-uri', uri, label }], banner: `MongoDB contract targets: ${label}.`, stop: async () => undefined };
  }
  let reason: string;
  try {
    const real = await startRealMongods(log);
    if ('started' in real) {
      const { version, singleUri, replicaSetUri } = real.started;
      return {
        targets: [
          { name: 'mongod-single', uri: singleUri, label: `real mongod ${version}, single server` },
          { name: 'mongod-replset', uri: replicaSetUri, label: `real mongod ${version}, one-node replica set` },
        ],
        banner: `MongoDB contract targets: REAL mongod ${version} as a single server and as a one-node replica set (started in ${elapsed(startedAt)}).`,
        stop: () => real.started.stop(),
      };
    }
    reason = real.unavailable;
  } catch (err: unknown) {
    reason = `mongod would not start: ${err instanceof Error ? err.message : String(err)}`;
  }
  const fallbackMs = Date.now() - startedAt;
  const standinStartedAt = Date.now();
  const standin = await startMongoStandin();
  const standinMs = Date.now() - standinStartedAt;
  const banner = [
    '!!! MongoDB contract targets: the WIRE-PROTOCOL STAND-IN (test/support/mongo-standin), NOT a real MongoDB server.',
    `!!! No real mongod could be had: ${reason} (decided in ${fallbackMs} ms; stand-in started in ${standinMs} ms).`,
    '!!! For real MongoDB: set MONGOMS_SYSTEM_BINARY=/path/to/mongod, or allow the download to ~/.cache/mongodb-binaries (MONGOMS_DOWNLOAD_DIR),',
    '!!! or point MONGODB_URI at a server (docker compose up mongodb; MONGODB_URI=mongodb://127.0.0.1:27017/omikai-test npm test).',
  ].join('\n');
  return {
    targets: [{ name: 'mongodb-standin', uri: `${standin.uri}omikai-test`, label: 'the MongoDB wire-protocol stand-in (not MongoDB)' }],
    banner,
    stop: () => standin.stop(),
  };
}

function elapsed(sinceMs: number): string {
  return `${((Date.now() - sinceMs) / 1000).toFixed(1)} s`;
}

/** The targets global-setup chose; test files call this. */
export function chosenMongoTargets(): MongoTargetInfo[] {
  const value = process.env[MONGO_TARGETS_VARIABLE];
  if (!value)
    throw new Error(
      `${MONGO_TARGETS_VARIABLE} is not set: run the tests through jest.config.js, whose globalSetup chooses the MongoDB targets`,
    );
  return JSON.parse(value) as MongoTargetInfo[];
}
