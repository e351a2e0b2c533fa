// Opens the MongoDB connection the stores share. The entry point owns it and closes it on shutdown.
import mongoose, { type Connection } from 'mongoose';
import { toError } from '@omikai/graph-mailer-client';

const SERVER_SELECTION_TIMEOUT_MS = 5000;

export class MongoConnectionError extends Error {
  override name = 'MongoConnectionError';
}

/**
 * Connects to `uri` on a connection of its own (not mongoose's global one). Rejects with a
 * MongoConnectionError after 5 s when no server answers, instead of buffering commands forever.
 */
export async function connectMongo(uri: string): Promise<Connection> {
  const connection = mongoose.createConnection(uri, { serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS });
  try {
    return await connection.asPromise();
  } catch (err: unknown) {
    await connection.close().catch(() => undefined);
    // The URI is left out of the message: it may hold a password.
    const detail = toError(err).message;
    throw new MongoConnectionError(
      `Could not connect to MongoDB within ${SERVER_SELECTION_TIMEOUT_MS / 1000} s (${detail}); ` +
        'check that the server is running and that MONGODB_URI points at it.',
      { cause: err },
    );
  }
}
