// Sends each request to the login, Graph or control endpoint its method and path name.
import { CONTROL_PREFIX, serveControlRequest } from './control-api';
import { serveInstanceDiscovery, serveOpenIdConfiguration, serveSigningKeys } from './discovery-endpoints';
import { writeGraphError } from './graph-errors';
import type { Exchange } from './http-io';
import { serveDraftRequest } from './draft-endpoints';
import { serveSendMail } from './send-mail-endpoint';
import type { SimulatorState } from './simulator-state';
import { serveTokenRequest } from './token-endpoint';

type Route = {
  method: 'GET' | 'POST';
  /** Matched against the raw (still percent-encoded) path; the first group, if any, is passed on. */
  path: RegExp;
  serve: (exchange: Exchange, state: SimulatorState, segment: string | undefined) => void | Promise<void>;
};

const ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/common\/discovery\/instance\/?$/i, serve: serveInstanceDiscovery },
  {
    method: 'GET',
    path: /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration\/?$/i,
    serve: (exchange, state, tenant) => serveOpenIdConfiguration(exchange, state, tenant ?? ''),
  },
  { method: 'GET', path: /^\/([^/]+)\/discovery\/v2\.0\/keys\/?$/i, serve: serveSigningKeys },
  {
    method: 'POST',
    path: /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/i,
    serve: (exchange, state, tenant) => serveTokenRequest(exchange, state, tenant ?? ''),
  },
  { method: 'POST', path: /^\/v1\.0\/users\/([^/]+)\/sendMail\/?$/i, serve: serveSendMail },
  { method: 'POST', path: /^\/v1\.0\/me\/sendMail\/?$/i, serve: (exchange, state) => serveSendMail(exchange, state, undefined) },
];

export async function routeRequest(exchange: Exchange, state: SimulatorState): Promise<void> {
  const { pathname } = exchange.url;
  if (pathname.startsWith(CONTROL_PREFIX)) {
    await serveControlRequest(exchange, state);
    return;
  }
  if (await serveDraftRequest(exchange, state)) return;
  for (const route of ROUTES) {
    if (exchange.req.method !== route.method) continue;
    const match = route.path.exec(pathname);
    if (match) {
      await route.serve(exchange, state, match[1] === undefined ? undefined : decodeSegment(match[1]));
      return;
    }
  }
  writeGraphError(exchange, {
    status: 404,
    code: 'UnknownRoute',
    message: `The Graph simulator does not serve ${exchange.req.method ?? '?'} ${pathname}.`,
  });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
