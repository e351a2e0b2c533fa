// Standalone Graph simulator for the demo and benchmarks: `tsx test/simulator/main.ts [--port 8443] [--upload-port 0] [--config f.json] [--latency-ms 0]`.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEMO_TENANT } from './demo-tenant';
import type { SimulatorTenant } from './directory';
import { startGraphSimulator } from './graph-simulator';
import type { MailboxLimitOptions } from './mailbox-limits';

const DEFAULT_PORT = 8443;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: String(DEFAULT_PORT) },
      'upload-port': { type: 'string', default: '0' },
      // e.g. --mailbox-limit 30/3000 --mailbox-concurrency 4: Exchange's limits scaled down for a test.
      'mailbox-limit': { type: 'string' },
      'mailbox-concurrency': { type: 'string', default: '4' },
      config: { type: 'string' },
      'latency-ms': { type: 'string', default: '0' },
    },
  });
  const port = parseNonNegativeInteger(values.port, '--port');
  const latencyMs = parseNonNegativeInteger(values['latency-ms'], '--latency-ms');
  const tenants = values.config === undefined ? [DEMO_TENANT] : await readTenants(values.config);

  const mailboxLimits =
    values['mailbox-limit'] === undefined ? undefined : parseMailboxLimit(values['mailbox-limit'], values['mailbox-concurrency']);
  const uploadPort = parseNonNegativeInteger(values['upload-port'], '--upload-port');
  const simulator = await startGraphSimulator({ port, uploadPort, tenants, latencyMs, ...(mailboxLimits ? { mailboxLimits } : {}) });
  console.log(`Graph simulator listening on ${simulator.url}`);
  console.log(`Certificate: ${simulator.certPath}`);
  console.log(`Control API: ${simulator.url}/_simulator/{faults,sent,stats,reset,latency,health}`);
  console.log('Point the worker at it with:');
  console.log(`  MS_GRAPH_BASE_URL=${simulator.url}`);
  console.log(`  MS_LOGIN_BASE_URL=${simulator.url}`);
  console.log(`  MS_UPLOAD_BASE_URL=${simulator.uploadUrl}   (attachment upload sessions of draft sending)`);
  console.log(`  NODE_EXTRA_CA_CERTS=${simulator.certPath}`);
  for (const tenant of tenants) {
    const clients = tenant.clients.map((client) => client.clientId).join(', ');
    console.log(`Tenant ${tenant.tenantId}: clients ${clients}; mailboxes ${tenant.mailboxes.map((m) => m.address).join(', ')}`);
  }

  const stop = (signal: NodeJS.Signals): void => {
    console.log(`${signal} received, closing the Graph simulator.`);
    simulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('Could not close the Graph simulator cleanly:', err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function readTenants(configPath: string): Promise<SimulatorTenant[]> {
  const config: unknown = JSON.parse(await readFile(configPath, 'utf8'));
  const tenants = typeof config === 'object' && config !== null ? (config as { tenants?: unknown }).tenants : undefined;
  if (!Array.isArray(tenants)) {
    throw new Error(`${configPath} must be a JSON object {"tenants": [...]} as described by SimulatorTenant.`);
  }
  // Shape beyond the array is trusted: the file is written by us for tests and demos.
  return tenants as SimulatorTenant[];
}

function parseMailboxLimit(limit: string, concurrency: string): MailboxLimitOptions {
  const match = /^(\d+)\/(\d+)$/.exec(limit);
  if (!match) throw new Error(`--mailbox-limit must be <messages>/<window ms>, e.g. 30/60000, got '${limit}'.`);
  return {
    messagesPerWindow: Number(match[1]),
    windowMs: Number(match[2]),
    concurrentRequests: parseNonNegativeInteger(concurrency, '--mailbox-concurrency'),
  };
}

function parseNonNegativeInteger(raw: string, flag: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} must be a non-negative integer, got '${raw}'.`);
  return value;
}

main().catch((err: unknown) => {
  console.error('The Graph simulator could not start:', err);
  process.exitCode = 1;
});
