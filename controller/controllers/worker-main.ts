/**
 * The controller worker thread's entry: runs the enabled control loops with an ApiClient whose
 * requests cross to the API server's thread (PortTransport), until the host says stop. Its logs
 * are the server's JSON lines (component `controllers`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../daemon/logger.js';
import { ApiClient } from '../api/client.js';
import { PortTransport } from '../api/port-transport.js';
import { startControllers } from './start.js';
import { isWorkerInit, type FromWorker, type ToWorker } from './worker-protocol.js';

export async function runControllerWorker(): Promise<void> {
  const host = parentPort;
  if (!host || !isWorkerInit(workerData)) throw new Error('controllers: worker-main runs only as the server\'s controller worker thread');
  const tell = (m: FromWorker) => host.postMessage(m);
  const { options, api } = workerData;
  const log = createLogger('controllers');
  const transport = new PortTransport(api);
  const client = new ApiClient({ server: transport.url, transport, userAgent: 'sextant-controllers' });
  let running: Awaited<ReturnType<typeof startControllers>>;
  try {
    running = await startControllers(client, { ...options, enabled: new Set(options.enabled), log });
  } catch (err) {
    tell({ t: 'failed', message: err instanceof Error ? err.message : String(err) });
    transport.close();
    return;
  }
  host.on('message', (m: ToWorker) => {
    if (m.t !== 'stop') return;
    // the host waits for the thread to end: once nothing of the loops is left and its last log
    // lines are out, it does
    void running.stop().finally(() => {
      client.close();
      transport.close();
      host.unref();
    });
  });
  tell({ t: 'started' });
}

if (parentPort && isWorkerInit(workerData)) void runControllerWorker();
