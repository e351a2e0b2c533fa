// Sends one sendMail request through the Microsoft Graph SDK and reports what came back, as data.
// The SDK's RetryHandler is left out on purpose: it retries 429/503/504 POSTs, and a retried 504
// can deliver the same e-mail several times. The queue schedules retries instead.
import { Client, GraphClientError, ResponseType, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import type { CloudName } from '../../config/env-schema';
import type { SendRoute } from '../settings/resolve-sender';
import { cloudOfGraphBaseUrl, resolveCloudEndpoints } from './clouds';
import { HttpsFetchError } from './https-fetch';
import type { SendMailBody } from '@omikai/graph-mailer-client';
import { toError } from '@omikai/graph-mailer-client';

export type GraphSendResult =
  | {
      kind: 'response';
      status: number;
      requestId?: string;
      retryAfter?: string;
      errorCode?: string;
      errorMessage?: string;
    }
  | {
      kind: 'no-response';
      /** False only when the connection was never made, so Graph cannot have seen the request. */
      requestSent: boolean;
      code: string;
      message: string;
      cause: unknown;
    };

/** Errors raised before any byte reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
/** The server's certificate was refused: a configuration problem, and nothing was sent. */
export const TLS_ERROR_CODE = /CERT|SELF_SIGNED|TLS|SSL/;

/** Carries the network error through the SDK, which keeps GraphClientErrors intact but drops other causes. */
class GraphTransportError extends GraphClientError {
  override name = 'GraphTransportError';

  constructor(readonly transportCause: unknown) {
    super(toError(transportCause).message);
  }
}

/** The last link of our middleware chain: plain fetch (keep-alive), nothing retried. */
class FetchHandler implements Middleware {
  constructor(private readonly fetchImpl: typeof fetch) {}

  async execute(context: Context): Promise<void> {
    try {
      context.response = await this.fetchImpl(context.request, context.options);
    } catch (err: unknown) {
      throw new GraphTransportError(err);
    }
  }
}

function transportCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'Timeout';
  return err instanceof Error ? err.name : 'NetworkError';
}

export interface GraphMailClientOptions {
  /** The configured Graph host (MS_GRAPH_CLOUD, or MS_GRAPH_BASE_URL). */
  graphBaseUrl: string;
  timeoutMs: number;
  /** The cloud graphBaseUrl belongs to (MS_GRAPH_CLOUD); default: read from the URL, else global. */
  cloud?: CloudName;
  /** Default the global fetch; tests pass one that records the hosts used. */
  fetch?: typeof fetch;
}

export class GraphMailClient {
  /** One SDK client per Graph host: the configured one, and any national cloud an account names. */
  private readonly clients = new Map<string, Client>();
  private readonly configuredCloud: CloudName;

  constructor(private readonly options: GraphMailClientOptions) {
    this.configuredCloud = options.cloud ?? cloudOfGraphBaseUrl(options.graphBaseUrl) ?? 'global';
  }

  /** The Graph host for a route: the configured one unless the account names another cloud. */
  graphBaseUrlFor(route: Pick<SendRoute, 'credentials'>): string {
    const { cloud } = route.credentials;
    return cloud === undefined || cloud === this.configuredCloud ? this.options.graphBaseUrl : resolveCloudEndpoints(cloud).graphBaseUrl;
  }

  private clientFor(graphBaseUrl: string): Client {
    let client = this.clients.get(graphBaseUrl);
    if (!client) {
      client = Client.initWithMiddleware({
        middleware: new FetchHandler(this.options.fetch ?? fetch),
        baseUrl: `${graphBaseUrl}/`,
        defaultVersion: 'v1.0',
      });
      this.clients.set(graphBaseUrl, client);
    }
    return client;
  }

  /** POST /users/{sender}/sendMail. Never throws for an HTTP or network failure: it returns it. */
  async sendMail(
    route: Pick<SendRoute, 'sender' | 'credentials'>,
    body: SendMailBody,
    accessToken: string,
    clientRequestId: string,
  ): Promise<GraphSendResult> {
    return abortAfter(this.options.timeoutMs, async (signal) => {
      let response: Response;
      try {
        response = await this.clientFor(this.graphBaseUrlFor(route))
          .api(`/users/${encodeURIComponent(route.sender)}/sendMail`)
          .header('Authorization', `Bearer ${accessToken}`)
          .header('client-request-id', clientRequestId)
          .responseType(ResponseType.RAW)
          .option('signal', signal)
          .post(body);
      } catch (err: unknown) {
        return transportFailure(err);
      }
      return await readGraphResponse(response);
    });
  }
}

/**
 * Runs `call` (a request and the reading of its answer) with a signal that aborts after `timeoutMs`.
 * A plain controller and timer: AbortSignal.timeout() costs noticeably more per request.
 */
export async function abortAfter<T>(timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await call(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** A request that got no answer: whether Graph may have seen it decides between transient and unknown outcome. */
export function transportFailure(err: unknown): Extract<GraphSendResult, { kind: 'no-response' }> {
  const cause = err instanceof GraphTransportError ? err.transportCause : err;
  const code = transportCode(cause);
  // Our https transport knows whether the request was written; otherwise judge by the error code.
  const requestSent =
    cause instanceof HttpsFetchError
      ? cause.requestSent && !TLS_ERROR_CODE.test(code)
      : !NOT_SENT_CODES.has(code) && !TLS_ERROR_CODE.test(code);
  return { kind: 'no-response', requestSent, code, message: toError(cause).message, cause };
}

/** Status, request-id, Retry-After and Graph's error code and message of an answer. */
export async function readGraphResponse(response: Response): Promise<GraphSendResult> {
  const result: GraphSendResult = {
    kind: 'response',
    status: response.status,
    ...optional('requestId', response.headers.get('request-id')),
    ...optional('retryAfter', response.headers.get('retry-after')),
  };
  if (response.ok) {
    // Read the (empty) body rather than cancel it: cancelling makes undici build an AbortError per request.
    await response.arrayBuffer().catch(() => undefined);
    return result;
  }
  const text = await response.text().catch(() => '');
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; innerError?: { 'request-id'?: unknown } } };
    if (typeof error?.code === 'string') result.errorCode = error.code;
    if (typeof error?.message === 'string') result.errorMessage = error.message;
    const innerRequestId = error?.innerError?.['request-id'];
    if (!result.requestId && typeof innerRequestId === 'string') result.requestId = innerRequestId;
  } catch {
    // Gateways answer with HTML or nothing; the status alone then decides.
    if (text) result.errorMessage = text.slice(0, 200);
  }
  return result;
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null ? {} : ({ [key]: value } as Record<K, string>);
}
