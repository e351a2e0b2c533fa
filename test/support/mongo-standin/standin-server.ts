// A MongoDB stand-in for tests where no real mongod can be had: a TCP server speaking the wire protocol (OP_MSG),
// with mingo evaluating queries. It follows MongoDB 6.0 and refuses what it does not implement; see README.md here.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Document } from 'bson';
import * as admin from './admin-commands';
import { CommandError, notImplemented } from './command-error';
import { StandinCatalog } from './collections';
import * as reads from './read-commands';
import type { CommandContext, StandinFeature } from './standin-context';
import { encodeReply, parseRequest, takeMessages, WireProtocolError, type WireRequest } from './wire-messages';
import * as writes from './write-commands';

type CommandHandler = (command: Document, context: CommandContext) => Document;

const COMMANDS: Record<string, CommandHandler> = {
  hello: admin.hello,
  isMaster: admin.hello,
  ismaster: admin.hello,
  buildInfo: admin.buildInfo,
  buildinfo: admin.buildInfo,
  ping: () => ({}),
  endSessions: () => ({}),
  killAllSessions: () => ({}),
  listDatabases: admin.listDatabases,
  listCollections: admin.listCollections,
  create: admin.create,
  drop: admin.drop,
  dropDatabase: admin.dropDatabase,
  createIndexes: admin.createIndexes,
  listIndexes: admin.listIndexes,
  dropIndexes: admin.dropIndexes,
  find: reads.find,
  getMore: reads.getMore,
  killCursors: reads.killCursors,
  aggregate: reads.aggregate,
  count: reads.count,
  distinct: reads.distinct,
  insert: writes.insert,
  update: writes.update,
  delete: writes.deleteCommand,
  findAndModify: writes.findAndModify,
  findandmodify: writes.findAndModify,
};

export interface MongoStandin {
  /** mongodb://127.0.0.1:<port>/ — a standalone server, as the stand-in reports itself. */
  uri: string;
  /** How many commands it has answered: a test can tell it was really used. */
  commandCount(): number;
  stop(): Promise<void>;
}

export interface MongoStandinOptions {
  /** Refuse these features, as Amazon DocumentDB or Azure Cosmos DB for MongoDB do: for tests of the start-up check. */
  lacks?: StandinFeature[];
}

export async function startMongoStandin({ lacks = [] }: MongoStandinOptions = {}): Promise<MongoStandin> {
  const catalog = new StandinCatalog();
  const cursors = new reads.CursorRegistry();
  const sockets = new Set<Socket>();
  let connections = 0;
  let replies = 0;
  let commands = 0;

  const answer = (request: WireRequest, connectionId: number): Document => {
    const { command } = request;
    const name = Object.keys(command)[0] ?? '';
    const handler = COMMANDS[name];
    try {
      if (!handler) throw new CommandError('CommandNotFound', `no such command: '${name}'`);
      if (command.txnNumber !== undefined || command.startTransaction !== undefined) {
        // What a standalone mongod answers: retryable writes and transactions need a replica set.
        throw new CommandError('IllegalOperation', 'Transaction numbers are only allowed on a replica set member or mongos');
      }
      if (typeof command.$db !== 'string') throw new CommandError('InvalidOptions', 'Missing $db');
      if (command.saslStart !== undefined || command.authenticate !== undefined) throw notImplemented('Authentication');
      commands += 1;
      return { ...handler(command, { catalog, cursors, database: command.$db, connectionId, lacks: new Set(lacks) }), ok: 1 };
    } catch (err: unknown) {
      if (err instanceof CommandError) return { ok: 0, ...err.toDocument() };
      // A bug in the stand-in (or mingo): answered as a server error so the test fails with the cause.
      return {
        ok: 0,
        errmsg: `stand-in internal error in ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        code: 1,
        codeName: 'InternalError',
      };
    }
  };

  const server: Server = createServer((socket) => {
    const connectionId = ++connections;
    sockets.add(socket);
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      try {
        const { messages, rest } = takeMessages(Buffer.concat([pending, chunk]));
        pending = rest;
        for (const message of messages) {
          const request = parseRequest(message);
          const reply = answer(request, connectionId);
          if (!request.noReply) socket.write(encodeReply(request, ++replies, reply));
        }
      } catch (err: unknown) {
        // A frame the stand-in cannot read: drop the connection, as mongod does.
        if (!(err instanceof WireProtocolError)) throw err;
        socket.destroy(err);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    commandCount: () => commands,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
