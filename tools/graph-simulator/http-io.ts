// Reading requests and writing JSON answers for the simulator's endpoints.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** One request being answered, with the IDs every answer carries. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Our `request-id` for this answer (Graph) / trace ID (Entra). */
  requestId: string;
  /** The caller's `client-request-id` header, echoed back. */
  clientRequestId?: string;
}

export type BodyReadResult = { kind: 'complete'; body: Buffer } | { kind: 'too-large' };

/**
 * Reads the request body, giving up as soon as it exceeds maxBytes (by Content-Length or by
 * counting) so the caller can answer at once. The unread rest is discarded, not buffered: closing
 * the connection instead would make a client still uploading see EPIPE rather than the answer.
 * Rejects if the client goes away mid-body.
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<BodyReadResult> {
  const declaredLength = Number(req.headers['content-length']);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes) {
    return Promise.resolve({ kind: 'too-large' });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let receivedBytes = 0;
    const cleanUp = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      receivedBytes += chunk.length;
      if (receivedBytes > maxBytes) {
        cleanUp();
        resolve({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanUp();
      resolve({ kind: 'complete', body: Buffer.concat(chunks) });
    };
    const onError = (err: Error): void => {
      cleanUp();
      reject(err);
    };
    const onClose = (): void => {
      cleanUp();
      reject(new Error('The client closed the connection before sending the whole body.'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

export function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

export function writeJson(exchange: Exchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (clientIsGone(exchange)) return;
  const text = JSON.stringify(body);
  exchange.res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  exchange.res.end(text);
}

export function writeEmpty(exchange: Exchange, status: number): void {
  if (clientIsGone(exchange)) return;
  exchange.res.writeHead(status, { 'content-length': 0 });
  exchange.res.end();
}

export function clientIsGone(exchange: Exchange): boolean {
  return exchange.req.socket.destroyed || exchange.res.writableEnded;
}

/**
 * Waits ms, or until the simulator shuts down. Resolves false when it was cut short, so the
 * caller drops the request instead of answering on a closed server.
 */
export async function waitUnlessShutDown(ms: number, shutdown: AbortSignal): Promise<boolean> {
  if (ms <= 0) return !shutdown.aborted;
  try {
    await sleep(ms, undefined, { signal: shutdown });
    return true;
  } catch {
    return false;
  }
}

/** Graph's timestamp format in error bodies: ISO 8601 without fraction or zone, in UTC. */
export function graphTimestamp(now: Date = new Date()): string {
  return now.toISOString().slice(0, 19);
}
