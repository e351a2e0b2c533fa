// A fetch() for the Graph SDK built on node:https with a keep-alive agent. Node 20's built-in fetch
// costs several times more CPU per request (bench/: ~400-700 µs against ~80-100 µs), which
// capped a worker at about 1,500 sends/s on two cores. Only what the SDK uses is implemented.
import { Agent, request, type RequestOptions } from 'node:https';

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
    super(`https request failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
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
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        const status = res.statusCode ?? 502;
        const content = chunks.length > 0 && status !== 204 && status !== 304 ? Buffer.concat(chunks) : null;
        resolve(new Response(content, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
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
