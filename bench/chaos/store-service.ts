// The chaos run's shared settings and delivery stores: one HTTP server in the harness process that every
// worker process uses (memory stores are per process; MongoDB is not available here), and that can play
// "MongoDB is down" by refusing every call with 503.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeliveryRecordNotFoundError, type DeliveryStore, toError } from '@omikai/graph-mailer-client';
import { MemoryDeliveryStore } from '../../src/delivery/memory-delivery-store';
import type { GraphAccountLister, SettingsStore } from '../../src/settings/settings-store';
import {
  RECORD_NOT_FOUND_STATUS,
  STORE_DOWN_STATUS,
  isStoreMethod,
  reviveDates,
  type StoreErrorBody,
  type StoreMethod,
} from './store-wire';

const MAX_BODY_BYTES = 1024 * 1024;

export interface StoreService {
  url: string;
  /** The records themselves, for reconciliation in the harness process. */
  deliveries: MemoryDeliveryStore;
  /** While down, every call is refused with 503, as a client of a MongoDB that is unreachable would fail. */
  setDown(down: boolean): void;
  /** Calls answered, and calls refused while down. */
  readonly stats: { calls: number; refusedCalls: number };
  /** Jobs whose record was finished as sent / failed. */
  sentCount(): number;
  failedCount(): number;
  /** Job ids whose record says 'sending' now: attempts that may be at Graph this moment. */
  sendingJobIds(): Promise<string[]>;
  close(): Promise<void>;
}

/** Arguments arrive as JSON; the store methods check nothing more, as MongoDB would not either. */
type StoreArgs = [unknown, unknown?];

function dispatch(
  deliveries: DeliveryStore,
  settings: SettingsStore & GraphAccountLister,
  method: StoreMethod,
  [first, second]: StoreArgs,
): Promise<unknown> {
  // Each argument is the value the client serialised from the typed interface it implements.
  switch (method) {
    case 'startAttempt':
      return deliveries.startAttempt(first as Parameters<DeliveryStore['startAttempt']>[0]);
    case 'finishAttempt':
      return deliveries.finishAttempt(String(first), second as Parameters<DeliveryStore['finishAttempt']>[1]);
    case 'find':
      return deliveries.find(first as Parameters<DeliveryStore['find']>[0]);
    case 'findAccount':
      return settings.findAccount(String(first));
    case 'findUser':
      return settings.findUser(String(first));
    case 'listGraphAccountIds':
      return settings.listGraphAccountIds();
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`store request larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function replyError(res: ServerResponse, status: number, err: Error, jobId?: string): void {
  const body: StoreErrorBody = { error: { name: err.name, message: err.message, ...(jobId === undefined ? {} : { jobId }) } };
  reply(res, status, body);
}

export async function startStoreService(settings: SettingsStore & GraphAccountLister, maxRecords = 1_000_000): Promise<StoreService> {
  const deliveries = new MemoryDeliveryStore(maxRecords);
  const sent = new Set<string>();
  const failed = new Set<string>();
  const stats = { calls: 0, refusedCalls: 0 };
  let down = false;

  const observed: DeliveryStore = {
    startAttempt: (start) => deliveries.startAttempt(start),
    async finishAttempt(jobId, outcome) {
      await deliveries.finishAttempt(jobId, outcome);
      if (outcome.status === 'sent') sent.add(jobId);
      if (outcome.status === 'failed' && !sent.has(jobId)) failed.add(jobId);
    },
    find: (query) => deliveries.find(query),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.url ?? '').replace(/^\/rpc\//, '');
    if (req.method !== 'POST' || !isStoreMethod(method)) return replyError(res, 404, new Error(`no store call ${req.method} ${req.url}`));
    const body = await readBody(req);
    if (down) {
      stats.refusedCalls += 1;
      return replyError(res, STORE_DOWN_STATUS, new Error('the chaos store service is down (simulated MongoDB outage)'));
    }
    stats.calls += 1;
    const args = JSON.parse(body, reviveDates) as StoreArgs;
    try {
      reply(res, 200, { result: (await dispatch(observed, settings, method, args)) ?? null });
    } catch (err: unknown) {
      if (err instanceof DeliveryRecordNotFoundError) return replyError(res, RECORD_NOT_FOUND_STATUS, err, err.jobId);
      replyError(res, 500, toError(err));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) replyError(res, 400, toError(err));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    stats,
    setDown: (value) => void (down = value),
    sentCount: () => sent.size,
    failedCount: () => failed.size,
    async sendingJobIds() {
      const records = await deliveries.find({ limit: maxRecords });
      return records.filter((record) => record.status === 'sending').map((record) => record.jobId);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
