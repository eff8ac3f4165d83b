/**
 * Runs `sextant server`'s control loops in a worker thread (`--controllers-transport=worker`):
 * decoding their watch events, reconciling and building their writes then use the machine's
 * other core instead of the thread that serves the API, as kube-controller-manager is a process
 * of its own. Their requests still take the server's in-process transport, across a MessagePort
 * (controller/api/port-transport.ts). A worker that dies is started again for as long as the
 * loops should run, after 1 s, doubling to 30 s while it keeps dying (back to 1 s once one ran a
 * minute); `stop()` lets the loops finish, then ends the thread.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ExchangeTransport } from '../api/in-process-transport.js';
import { servePort } from '../api/port-transport.js';
import type { FromWorker, ToWorker, WorkerControllerOptions, WorkerInit } from './worker-protocol.js';

/** How long `stop()` waits for the loops to finish before it ends the thread. */
const STOP_GRACE_MS = 10_000;
const FIRST_RESTART_MS = 1000;
const MAX_RESTART_MS = 30_000;
/** A worker that ran this long before dying is restarted after FIRST_RESTART_MS again. */
const STABLE_MS = 60_000;

type Log = { info(m: string, meta?: object): void; error(m: string, meta?: object): void };

/** The worker's entry: the bundle beside dist/sextant.mjs, or worker-main.ts when running from the sources. */
const defaultEntry = (): URL =>
  import.meta.url.endsWith('.ts') ? new URL('./worker-main.ts', import.meta.url) : new URL('./controllers-worker.mjs', import.meta.url);

function spawnWorker(entry: URL, init: WorkerInit, transferList: MessagePort[]): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData: init, transferList });
  // From the TypeScript sources (tests and benches run them through tsx): Node 20 does not apply
  // the parent's tsx hooks to a worker's entry, so the worker registers tsx, then imports it.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData: init, transferList });
}

/** One worker thread, from start to exit. */
class ControllerThread {
  private readonly worker: Worker;
  private readonly bridge: { close(): void };
  private stopping = false;
  readonly started: Promise<void>;
  readonly exited: Promise<number>;

  constructor(entry: URL, transport: ExchangeTransport, options: WorkerControllerOptions, onCrash: (why: string, ranMs: number) => void) {
    const { port1, port2 } = new MessageChannel();
    this.bridge = servePort(port1, transport);
    const init: WorkerInit = { role: 'sextant-controllers', options, api: port2 };
    this.worker = spawnWorker(entry, init, [port2]);
    let running = false;
    let startedAt = 0;
    let failure: string | undefined;
    this.started = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (m: FromWorker) => {
        if (m.t === 'started') {
          running = true;
          startedAt = Date.now();
          resolve();
        } else if (m.t === 'failed') {
          failure = m.message;
          reject(new Error(`controllers: ${m.message}`));
        }
      });
      this.worker.on('error', (err) => {
        failure = err.message;
        if (!running) reject(new Error(`controllers: worker thread: ${err.message}`));
      });
    });
    this.exited = new Promise<number>((resolve) => {
      this.worker.on('exit', (code) => {
        this.bridge.close();
        if (running && !this.stopping) onCrash(failure ?? `exit code ${code}`, Date.now() - startedAt);
        resolve(code);
      });
    });
    this.started.catch(() => undefined);
  }

  /** Resolves once the loops run; rejects if they fail to start or the thread ends first. */
  startedOrExit(): Promise<void> {
    return Promise.race([
      this.started,
      this.exited.then((code) => {
        throw new Error(`controllers: worker thread ended (exit code ${code}) before the controllers started`);
      }),
    ]);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const stop: ToWorker = { t: 'stop' };
    this.worker.postMessage(stop);
    const timer = setTimeout(() => void this.worker.terminate(), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    this.stopping = true;
    await this.worker.terminate();
  }
}

export interface ControllerWorker {
  stop(): Promise<void>;
}

/**
 * Starts the controllers in a worker thread whose API requests `transport` answers; resolves
 * once they run (rejects when they cannot start: the reason is the worker's).
 */
export async function startControllerWorker(
  transport: ExchangeTransport,
  options: WorkerControllerOptions,
  log: Log,
  /** The worker's module (tests give their own); default: worker-main. */
  entry: URL = defaultEntry(),
): Promise<ControllerWorker> {
  let current: ControllerThread | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let delay = FIRST_RESTART_MS;

  /** Starts a thread again after `delay`, which doubles for the next time. */
  const again = (message: string, error: string) => {
    log.error(message, { error, inMs: delay });
    current = undefined;
    retry = setTimeout(restart, delay);
    delay = Math.min(delay * 2, MAX_RESTART_MS);
  };
  const onCrash = (why: string, ranMs: number) => {
    if (stopped) return;
    if (ranMs >= STABLE_MS) delay = FIRST_RESTART_MS;
    again('controller worker thread died; starting it again', why);
  };
  const restart = () => {
    retry = undefined;
    if (stopped) return;
    const t = new ControllerThread(entry, transport, options, onCrash);
    current = t;
    t.startedOrExit().then(
      () => log.info('controller worker thread running again'),
      (err: Error) => {
        if (stopped || current !== t) return;
        again('controller worker thread did not start; trying again', err.message);
        void t.kill();
      },
    );
  };

  const first = new ControllerThread(entry, transport, options, onCrash);
  try {
    await first.startedOrExit();
  } catch (err) {
    await first.kill();
    throw err;
  }
  current = first;
  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      await current?.stop();
      current = undefined;
    },
  };
}
