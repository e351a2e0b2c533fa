// A local HTTPS stand-in for Entra ID (client credentials) and Graph sendMail, with recorded mail and faults.
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { type SimulatorTenant, TenantDirectory } from './directory';
import { FaultQueue, type SimulatorFault } from './faults';
import { defaultGraphError, writeGraphError } from './graph-errors';
import { type Exchange, clientIsGone } from './http-io';
import { routeRequest } from './router';
import {
  type AcceptedMessage,
  type RefusedSend,
  type SimulatorState,
  type SimulatorStats,
  emptyStats,
  resetState,
} from './simulator-state';
import { DEFAULT_TLS_DIR, ensureSimulatorCertificate } from './tls';
import { MailboxLimiter, type MailboxLimitOptions } from './mailbox-limits';
import { MailboxItems } from './mailbox-items';
import { handleUploadRequest } from './upload-endpoint';

export type { SimulatorClient, SimulatorMailbox, SimulatorTenant } from './directory';
export type { SimulatorFault } from './faults';
export type { AcceptedMessage, RefusedSend, SimulatorStats } from './simulator-state';

export interface StartSimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where the certificate lives (created if missing); default DEFAULT_TLS_DIR. */
  tlsDir?: string;
  tenants: SimulatorTenant[];
  /** Added to every sendMail answer; default 0. */
  latencyMs?: number;
  /** `expires_in` of issued tokens; default 3599. 0 issues tokens that are already expired. */
  tokenLifetimeSeconds?: number;
  /**
   * How far the simulated Entra's clock runs ahead of this machine's, in seconds (negative: behind).
   * Client assertions are checked against it with Entra's 5 minutes of leeway, so a skew beyond
   * the assertion's 10-minute life reproduces AADSTS700024. Default 0.
   */
  clockSkewSeconds?: number;
  /** Enforce Exchange's per-mailbox rate and concurrency limits (429 + Retry-After); off by default. */
  mailboxLimits?: MailboxLimitOptions;
  /** Port of the upload host (attachment upload sessions); 0 (the default) picks a free one. */
  uploadPort?: number;
  /** How long after a draft's send its Sent Items copy appears; default 0. */
  sentCopyDelayMs?: number;
}

export interface GraphSimulator {
  /** `https://localhost:${port}`: serves both the login host and the Graph host. */
  url: string;
  port: number;
  /** The certificate to trust (NODE_EXTRA_CA_CERTS). */
  certPath: string;
  /** `https://127.0.0.1:${uploadPort}`: the upload host, a host of its own (MS_UPLOAD_BASE_URL). */
  uploadUrl: string;
  /** Drafts, sent copies and upload sessions (live; emptied by reset()). */
  items: MailboxItems;
  /** Accepted messages in order of acceptance (live; emptied in place by reset()). */
  sent: AcceptedMessage[];
  /** sendMail requests answered with an error status, with the time of the answer (live; emptied by reset()). */
  refused: RefusedSend[];
  /** Live counters (zeroed in place by reset()). */
  stats: SimulatorStats;
  /** Queues a one-shot fault; faults are FIFO, each used up by the next matching request(s). Throws if invalid. */
  inject(fault: SimulatorFault): void;
  /** Delay added to every sendMail answer. */
  setLatencyMs(ms: number): void;
  /** See StartSimulatorOptions.clockSkewSeconds. */
  setClockSkewSeconds(seconds: number): void;
  /** See StartSimulatorOptions.sentCopyDelayMs. */
  setSentCopyDelayMs(ms: number): void;
  /** Upload URLs name this origin instead of the upload host (a test of the worker's host check); undefined restores it. */
  setUploadUrlBase(origin: string | undefined): void;
  /** Clears sent, stats and faults (latency stays). */
  reset(): void;
  /** Stops listening and destroys every connection, keep-alive and mid-request ones too. */
  close(): Promise<void>;
}

const DEFAULT_TOKEN_LIFETIME_SECONDS = 3599;

/** Starts a simulator; resolves once it is listening. */
export async function startGraphSimulator(options: StartSimulatorOptions): Promise<GraphSimulator> {
  const certificate = await ensureSimulatorCertificate(options.tlsDir ?? DEFAULT_TLS_DIR);
  const shutdown = new AbortController();
  // Every delayed answer listens for shutdown; hundreds at once are expected, not a leak.
  setMaxListeners(0, shutdown.signal);
  const state: SimulatorState = {
    url: '', // known once listening
    directory: new TenantDirectory(options.tenants),
    faults: new FaultQueue(),
    sent: [],
    refused: [],
    stats: emptyStats(),
    latencyMs: options.latencyMs ?? 0,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS,
    clockSkewSeconds: options.clockSkewSeconds ?? 0,
    ...(options.mailboxLimits ? { limiter: new MailboxLimiter(options.mailboxLimits) } : {}),
    shutdown: shutdown.signal,
    items: new MailboxItems(),
    uploadOrigin: '', // known once listening
    sentCopyDelayMs: options.sentCopyDelayMs ?? 0,
  };

  const server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    handleRequest(req, res, state);
  });
  const uploadServer = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    handleUploadRequest(req, res, state);
  });
  // Track raw TCP sockets: closeAllConnections() misses those still in the TLS handshake.
  const sockets = new Set<Socket>();
  for (const listening of [server, uploadServer]) {
    listening.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
  }
  // Counted on the Graph host only: what keep-alive keeps low.
  server.on('secureConnection', () => {
    state.stats.tlsConnections += 1;
  });
  const listen = (target: typeof server, port: number) =>
    new Promise<void>((resolve, reject) => {
      target.once('error', reject);
      target.listen(port, options.host ?? '127.0.0.1', () => {
        target.off('error', reject);
        resolve();
      });
    });
  await listen(server, options.port ?? 0);
  await listen(uploadServer, options.uploadPort ?? 0);
  const { port } = server.address() as AddressInfo;
  state.url = `https://localhost:${port}`;
  // Another host name than the Graph host's, as Outlook's upload host is in Microsoft's cloud.
  state.uploadOrigin = `https://127.0.0.1:${(uploadServer.address() as AddressInfo).port}`;

  let closing: Promise<void> | undefined;
  return {
    url: state.url,
    port,
    uploadUrl: state.uploadOrigin,
    items: state.items,
    certPath: certificate.certPath,
    sent: state.sent,
    refused: state.refused,
    stats: state.stats,
    inject: (fault) => state.faults.add(fault),
    setLatencyMs: (ms) => {
      state.latencyMs = ms;
    },
    setClockSkewSeconds: (seconds) => {
      state.clockSkewSeconds = seconds;
    },
    setSentCopyDelayMs: (ms) => {
      state.sentCopyDelayMs = ms;
    },
    setUploadUrlBase: (origin) => {
      if (origin === undefined) delete state.uploadUrlBase;
      else state.uploadUrlBase = origin;
    },
    reset: () => resetState(state),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        shutdown.abort();
        let open = 2;
        const closed = () => (open -= 1) === 0 && resolve();
        server.close(closed);
        uploadServer.close(closed);
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function handleRequest(req: IncomingMessage, res: ServerResponse, state: SimulatorState): void {
  const requestId = randomUUID();
  const clientRequestIdHeader = req.headers['client-request-id'];
  const clientRequestId = typeof clientRequestIdHeader === 'string' ? clientRequestIdHeader : undefined;
  res.setHeader('request-id', requestId);
  if (clientRequestId !== undefined) res.setHeader('client-request-id', clientRequestId);

  const url = parseRequestTarget(req.url, state.url);
  if (!url) {
    res.writeHead(400, { 'content-length': 0 }).end();
    return;
  }
  const exchange: Exchange = {
    req,
    res,
    url,
    requestId,
    ...(clientRequestId === undefined ? {} : { clientRequestId }),
  };
  routeRequest(exchange, state).catch((err: unknown) => {
    // A bug in the simulator must show up in the test that hit it, not crash the process.
    if (clientIsGone(exchange) || res.headersSent) {
      res.destroy();
      return;
    }
    const detail = err instanceof Error ? err.message : String(err);
    writeGraphError(exchange, { ...defaultGraphError(500), message: `Graph simulator failure: ${detail}` });
  });
}

/** Origin-form targets only (`/path?query`); prefixing the origin keeps `//x` from being read as a host. */
function parseRequestTarget(target: string | undefined, origin: string): URL | undefined {
  if (target === undefined || !target.startsWith('/')) return undefined;
  try {
    return new URL(`${origin}${target}`);
  } catch {
    return undefined;
  }
}
