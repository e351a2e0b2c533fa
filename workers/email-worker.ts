// Entry point of the e-mail worker process: the worker with the stores the configuration names.
import { runWorkerProcess } from '../src/sending/run-worker-process';
import { openStores } from '../src/storage/open-stores';

runWorkerProcess({ name: 'email-worker', openStores });
