// Entry point of a chaos-run worker process: the e-mail worker process with the settings and delivery
// stores served by the harness over HTTP (`--store-url`).
import { parseArgs } from 'node:util';
import { runWorkerProcess } from '../../src/sending/run-worker-process';
import { RemoteStores } from './remote-stores';

const storeUrl = parseArgs({ options: { 'store-url': { type: 'string' } } }).values['store-url'];
if (!storeUrl) {
  process.stderr.write('--store-url is missing: this worker is started by bench/chaos (npm run chaos).\n');
  process.exit(78);
}
const stores = new RemoteStores({ url: storeUrl });
runWorkerProcess({ name: 'chaos-worker', openStores: async () => ({ settings: stores, deliveries: stores, close: async () => {} }) });
