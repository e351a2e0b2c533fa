// Entry point of the e-mail worker process: the worker with the stores the configuration names.
import { loadConfigOrExit } from '../config/load-config';
import { runWorkerProcess } from '../src/sending/run-worker-process';
import { openStores } from '../src/storage/open-stores';

runWorkerProcess({ config: loadConfigOrExit(), name: 'email-worker', openStores });
