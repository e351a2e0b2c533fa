// The small HTTP server for orchestrators and Prometheus: /healthz, /readyz, /metrics. No auth and no
// job data: it listens on loopback unless its host setting (WORKER_METRICS_HOST,
// DASHBOARD_METRICS_HOST) opens it to a network, and its answers carry no internal error text.
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { toError } from '@omikai/graph-mailer-client';
import { runReadinessChecks, type ReadinessCheck } from './readiness';

export interface OpsHttpOptions {
  registry: Registry;
  readiness: readonly ReadinessCheck[];
  logger: Logger;
}

export interface OpsHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
}

const json = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

export function createOpsRequestListener({ registry, readiness, logger }: OpsHttpOptions): RequestListener {
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!['/healthz', '/readyz', '/metrics'].includes(path))
      return json(res, 404, { error: 'Not found: try /healthz, /readyz or /metrics' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'Only GET' });
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const report = await runReadinessChecks(readiness);
      if (!report.ready) logger.warn({ checks: report.checks, problems: report.problems }, 'not ready');
      return json(res, report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not ready', checks: report.checks });
    }
    return send(res, 200, registry.contentType, await registry.metrics());
  }
  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      logger.error({ err: toError(err) }, 'ops endpoint failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error; see the log' });
      else res.destroy();
    });
  };
}

export class OpsHttpListenError extends Error {
  override name = 'OpsHttpListenError';
}

/**
 * Listens on host:port (0 picks a free port, as the setting `auto` does); resolves once listening. `portVariable` names the
 * setting to change when the port is taken.
 */
export async function startOpsHttpServer(
  options: OpsHttpOptions & { host: string; port: number; portVariable: string },
): Promise<OpsHttpServer> {
  const server = createServer(createOpsRequestListener(options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => {
      const message =
        `Could not serve /healthz, /readyz and /metrics on ${options.host}:${options.port} (${toError(err).message}); ` +
        `set ${options.portVariable} to a free port, or to 0 to turn this server off (auto: a port the OS picks).`;
      reject(new OpsHttpListenError(message, { cause: err }));
    });
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
