// Sends one sendMail request through the Microsoft Graph SDK and reports what came back, as data.
// The SDK's RetryHandler is left out on purpose: it retries 429/503/504 POSTs, and a retried 504
// can deliver the same e-mail several times. The queue schedules retries instead.
import { Client, GraphClientError, ResponseType, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import type { SendRoute } from '../settings/resolve-sender';
import type { SendMailBody } from './send-mail-body';

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
const TLS_CODE = /CERT|SELF_SIGNED|TLS|SSL/;

/** Carries the network error through the SDK, which keeps GraphClientErrors intact but drops other causes. */
class GraphTransportError extends GraphClientError {
  override name = 'GraphTransportError';

  constructor(readonly transportCause: unknown) {
    super(transportCause instanceof Error ? transportCause.message : String(transportCause));
  }
}

/** The last link of our middleware chain: plain fetch (keep-alive), nothing retried. */
class FetchHandler implements Middleware {
  async execute(context: Context): Promise<void> {
    try {
      context.response = await fetch(context.request, context.options);
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
  graphBaseUrl: string;
  timeoutMs: number;
}

export class GraphMailClient {
  private readonly client: Client;

  constructor(private readonly options: GraphMailClientOptions) {
    this.client = Client.initWithMiddleware({
      middleware: new FetchHandler(),
      baseUrl: `${options.graphBaseUrl}/`,
      defaultVersion: 'v1.0',
    });
  }

  /** POST /users/{sender}/sendMail. Never throws for an HTTP or network failure: it returns it. */
  async sendMail(
    route: Pick<SendRoute, 'sender' | 'credentials'>,
    body: SendMailBody,
    accessToken: string,
    clientRequestId: string,
  ): Promise<GraphSendResult> {
    let response: Response;
    try {
      response = await this.client
        .api(`/users/${encodeURIComponent(route.sender)}/sendMail`)
        .header('Authorization', `Bearer ${accessToken}`)
        .header('client-request-id', clientRequestId)
        .responseType(ResponseType.RAW)
        .option('signal', AbortSignal.timeout(this.options.timeoutMs))
        .post(body);
    } catch (err: unknown) {
      const cause = err instanceof GraphTransportError ? err.transportCause : err;
      const code = transportCode(cause);
      const requestSent = !NOT_SENT_CODES.has(code) && !TLS_CODE.test(code);
      return { kind: 'no-response', requestSent, code, message: cause instanceof Error ? cause.message : String(cause), cause };
    }
    return readResponse(response);
  }
}

async function readResponse(response: Response): Promise<GraphSendResult> {
  const result: GraphSendResult = {
    kind: 'response',
    status: response.status,
    ...optional('requestId', response.headers.get('request-id')),
    ...optional('retryAfter', response.headers.get('retry-after')),
  };
  if (response.ok) {
    await response.body?.cancel();
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
