// `/_simulator/*`: unauthenticated JSON API to drive a simulator running in another process.
import { parseSimulatorFault } from './faults';
import { type BodyReadResult, type Exchange, parseJson, readRequestBody, writeEmpty, writeJson } from './http-io';
import { type SimulatorState, resetState } from './simulator-state';

export const CONTROL_PREFIX = '/_simulator/';
const MAX_CONTROL_BODY_BYTES = 64 * 1024;

/**
 * POST /_simulator/faults   body: SimulatorFault            → 204
 * GET  /_simulator/sent                                     → {messages: AcceptedMessage[]}
 * GET  /_simulator/stats                                    → SimulatorStats
 * POST /_simulator/reset                                    → 204 (clears sent, stats, faults)
 * PUT  /_simulator/latency  body: {ms}                      → 204
 * GET  /_simulator/health                                   → {ok: true} (readiness probe)
 */
export async function serveControlRequest(exchange: Exchange, state: SimulatorState): Promise<void> {
  const route = `${exchange.req.method ?? ''} ${exchange.url.pathname.slice(CONTROL_PREFIX.length)}`;
  switch (route) {
    case 'GET health':
      writeJson(exchange, 200, { ok: true });
      return;
    case 'GET sent':
      writeJson(exchange, 200, { messages: state.sent });
      return;
    case 'GET stats':
      writeJson(exchange, 200, state.stats);
      return;
    case 'POST reset':
      resetState(state);
      writeEmpty(exchange, 204);
      return;
    case 'POST faults': {
      const body = await readJsonBody(exchange);
      if (!body.ok) return;
      const parsed = parseSimulatorFault(body.value);
      if (!parsed.ok) {
        writeControlError(exchange, 400, `Invalid fault: ${parsed.problem}.`);
        return;
      }
      state.faults.add(parsed.fault);
      writeEmpty(exchange, 204);
      return;
    }
    case 'PUT latency': {
      const body = await readJsonBody(exchange);
      if (!body.ok) return;
      const ms = isObject(body.value) ? body.value.ms : undefined;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        writeControlError(exchange, 400, 'Expected {"ms": <non-negative number>}.');
        return;
      }
      state.latencyMs = ms;
      writeEmpty(exchange, 204);
      return;
    }
    default:
      writeControlError(exchange, 404, `No simulator control route for ${route.replace(' ', ` ${CONTROL_PREFIX}`)}.`);
  }
}

/** Reads a JSON body, answering 400 itself when there is none worth using. */
async function readJsonBody(exchange: Exchange): Promise<{ ok: true; value: unknown } | { ok: false }> {
  let read: BodyReadResult;
  try {
    read = await readRequestBody(exchange.req, MAX_CONTROL_BODY_BYTES);
  } catch {
    return { ok: false };
  }
  if (read.kind === 'too-large') {
    writeControlError(exchange, 413, `Control requests are limited to ${MAX_CONTROL_BODY_BYTES} bytes.`);
    return { ok: false };
  }
  const json = parseJson(read.body);
  if (!json.ok) writeControlError(exchange, 400, 'The body is not valid JSON.');
  return json;
}

function writeControlError(exchange: Exchange, status: number, message: string): void {
  writeJson(exchange, status, { error: { code: 'SimulatorControlError', message } });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
