// Graph's error answers: `{"error":{"code","message","innerError":{date, request-id, client-request-id}}}`.
import { type Exchange, graphTimestamp, writeJson } from './http-io';

export interface GraphError {
  status: number;
  code: string;
  message: string;
}

/** What Graph answers for a bare status when a fault names no code or message. */
const DEFAULT_ERRORS_BY_STATUS: Readonly<Record<number, { code: string; message: string }>> = {
  400: { code: 'BadRequest', message: 'The request is malformed or incorrect.' },
  401: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' },
  403: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' },
  404: { code: 'ResourceNotFound', message: 'Resource could not be discovered.' },
  409: { code: 'ErrorIrresolvableConflict', message: 'The send or update operation could not be performed.' },
  413: { code: 'RequestEntityTooLarge', message: 'The maximum request length supported is 4MB.' },
  429: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' },
  500: { code: 'InternalServerError', message: 'An internal server error occurred.' },
  502: { code: 'BadGateway', message: 'The server received an invalid response from an upstream server.' },
  503: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Try again later.' },
  504: { code: 'GatewayTimeout', message: 'The server did not receive a timely response from an upstream server.' },
  509: { code: 'BandwidthLimitExceeded', message: 'The bandwidth limit for this application has been exceeded.' },
};

export function defaultGraphError(status: number): GraphError {
  const known = DEFAULT_ERRORS_BY_STATUS[status];
  return { status, ...(known ?? { code: 'UnknownError', message: `The service answered HTTP ${status}.` }) };
}

export function writeGraphError(exchange: Exchange, error: GraphError, headers: Record<string, string> = {}): void {
  const innerError: Record<string, string> = {
    date: graphTimestamp(),
    'request-id': exchange.requestId,
  };
  if (exchange.clientRequestId !== undefined) innerError['client-request-id'] = exchange.clientRequestId;
  writeJson(exchange, error.status, { error: { code: error.code, message: error.message, innerError } }, headers);
}
