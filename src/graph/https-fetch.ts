// A fetch() for the Graph SDK built on node:https with a keep-alive agent: Node 20's built-in fetch
// costs several times more CPU per request (docs/performance.md). Only what the SDK uses is implemented.
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request, type RequestOptions } from 'node:https';
import { toError } from '@omikai/graph-mailer-client';

export interface HttpsFetchOptions {
  /** Connections kept per host; the worker's concurrency is a good value. */
  maxSockets: number;
}

/** Network errors carry `cause` like undici's, and say whether the request was fully written. */
export class HttpsFetchError extends TypeError {
  override name = 'HttpsFetchError';

  constructor(
    readonly requestSent: boolean,
    cause: unknown,
  ) {
    super(`https request failed: ${toError(cause).message}`, { cause });
  }
}

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return { ...(headers as Record<string, string>) };
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
}

/**
 * The part of a fetch Response that the Graph client reads (status, headers, body), over the
 * buffered body, so no undici Response and Headers are built for every send.
 */
class BufferedResponse {
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null; has(name: string): boolean };

  constructor(
    readonly status: number,
    readonly statusText: string,
    rawHeaders: IncomingHttpHeaders,
    private readonly body: Buffer | null,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = {
      get: (name) => {
        const value = rawHeaders[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
      has: (name) => rawHeaders[name.toLowerCase()] !== undefined,
    };
  }

  async text(): Promise<string> {
    return this.body?.toString('utf8') ?? '';
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    if (!this.body) return new ArrayBuffer(0);
    return this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.byteLength) as ArrayBuffer;
  }
}

function send(url: URL, init: RequestInit, agent: Agent): Promise<Response> {
  const body =
    typeof init.body === 'string' || init.body instanceof Uint8Array ? init.body : init.body == null ? undefined : String(init.body);
  const headers = headerRecord(init.headers);
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const options: RequestOptions = { method: init.method ?? 'GET', headers, agent };
  const signal = init.signal ?? undefined;

  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    let requestSent = false;
    const req = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => reject(new HttpsFetchError(true, err)));
      res.on('end', () => {
        signal?.removeEventListener('abort', onAbort);
        const status = res.statusCode ?? 502;
        const content = chunks.length > 0 ? Buffer.concat(chunks) : null;
        // Only the Graph client reads it, and only through the members BufferedResponse has.
        resolve(new BufferedResponse(status, res.statusMessage ?? '', res.headers, content) as unknown as Response);
      });
    });
    const onAbort = () => req.destroy(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('finish', () => (requestSent = true));
    req.on('error', (err: Error) => {
      signal?.removeEventListener('abort', onAbort);
      // No resend here, not even on a reused socket: sendMail is not idempotent, and the queue decides.
      reject(err.name === 'AbortError' || signal?.aborted ? err : new HttpsFetchError(requestSent, err));
    });
    req.end(body);
  });
}

/** A fetch-compatible function over one keep-alive agent, for Client.initWithMiddleware's last link. */
export function createHttpsFetch({ maxSockets }: HttpsFetchOptions): typeof fetch {
  const agent = new Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' });
  return (input, init = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    return send(url, init, agent);
  };
}
