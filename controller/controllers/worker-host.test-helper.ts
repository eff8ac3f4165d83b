/**
 * A stand-in controller worker for worker-host.test.ts. It speaks the host's protocol and, by
 * `options.advertiseAddress`: `crash` starts, tells the test (BroadcastChannel
 * `sx-worker-host-test`), then dies with an uncaught error; `fail` reports a failed start;
 * `exit` ends before saying anything.
 */
import { BroadcastChannel, parentPort, workerData } from 'node:worker_threads';
import { isWorkerInit, type FromWorker } from './worker-protocol.js';

if (!parentPort || !isWorkerInit(workerData)) throw new Error('worker-host.test-helper runs only as a worker');
const host = parentPort;
const tell = (m: FromWorker) => host.postMessage(m);
const mode = workerData.options.advertiseAddress;
if (mode === 'fail') {
  tell({ t: 'failed', message: 'no API today' });
} else if (mode === 'exit') {
  process.exit(3);
} else {
  const channel = new BroadcastChannel('sx-worker-host-test');
  channel.postMessage('started');
  channel.close();
  tell({ t: 'started' });
  setTimeout(() => {
    throw new Error('controller loop blew up');
  }, 50);
}
