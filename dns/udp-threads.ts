/**
 * UDP on several cores in one process: N worker threads receive on one UDP socket and answer from
 * their packet caches; the main thread keeps the one watch, the one record index and the plugin
 * chain, answers what the workers hand it (misses, oversized answers, odd packets) and TCP.
 *
 * Sharing the port: Node 20's dgram has no `reusePort`, and `cluster` shares a UDP socket only
 * across processes (each a full copy of the server: ~117 MB each at 10,000 services). Here the
 * first worker binds the socket and reports its file descriptor; the others wrap the same fd
 * (`bind({ fd })`), so every thread's event loop polls the one socket and whichever wakes first
 * reads the datagram — the way `cluster` shares a UDP handle between processes, inside one
 * process. Answers leave from the same socket, so clients see the port they asked.
 *
 * Caches stay coherent: a worker caches an answer only when the main thread sends it one to
 * cache, and every main-cache clear (any index change) is sent to every worker on the same
 * channel, after any answer computed before the change, so a worker never keeps a stale answer.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../daemon/logger.js';
import type { Observation } from './chain.js';
import type { PacketCache } from './packet-cache.js';
import { OBS_FIELDS, udpWorkerSource, type MainToWorker, type UdpWorkerInit, type WorkerToMain } from './udp-worker.js';

/** A worker's young generation, MB: it allocates a response per query and keeps almost nothing. */
const WORKER_YOUNG_MB = 2;
/** Bounds a worker's heap; its packet cache's bytes are off-heap Buffers. */
const WORKER_OLD_MB = 64;

/** Sends bytes back (undefined: no answer) and, for a stable answer, the entry workers may cache. */
export type Respond = (bytes: Buffer | undefined, entry?: { full: Buffer; rcode: number }) => void;

export interface UdpThreadsOptions {
  count: number;
  host: string;
  port: number;
  family: 4 | 6;
  recvBufferSize: number;
  plainLimit: number;
  log: Logger;
  /** The main thread's packet cache: its clears are sent to the workers. */
  cache: PacketCache;
  needNames: boolean;
  /** Answers one query the workers passed on; calls `respond` exactly once. */
  handle(buf: Buffer, remoteAddress: string, remotePort: number, respond: Respond): void;
  observe(o: Observation): void;
}

export interface UdpThreads {
  port: number;
  /** Resolves once every worker's fast-path observations reached `observe` (before a scrape). */
  flushObservations(): Promise<void>;
  close(): Promise<void>;
}

/** A copy of `b` in an ArrayBuffer of exactly its size, for transfer to a worker. */
function standalone(b: Uint8Array): Uint8Array {
  const u = new Uint8Array(b.byteLength);
  u.set(b);
  return u;
}

/**
 * The message answering a passed-on query, and what to transfer with it. The bytes are copied
 * into ArrayBuffers of their own size: an encoded answer is a slice of Node's 8 KiB Buffer pool,
 * and posting a view clones its whole ArrayBuffer, so every answer a worker cached held 8 KiB
 * (measured: 10,000 services all queried once grew the process by ~180 MB). The query is the
 * worker's own exact-size copy and is still used by the caller after `respond`: cloned, not moved.
 */
export function answerMessage(query: Uint8Array, address: string, port: number, bytes: Uint8Array | undefined, entry: { full: Uint8Array; rcode: number } | undefined): { message: MainToWorker; transfer: ArrayBuffer[] } {
  const out = bytes ? standalone(bytes) : undefined;
  const full = entry ? (entry.full === bytes && out ? out : standalone(entry.full)) : undefined;
  const transfer = [...new Set([out?.buffer, full?.buffer])].filter((x): x is ArrayBuffer => x instanceof ArrayBuffer);
  return { message: { t: 'a', query, address, port, bytes: out, ...(entry && full ? { full, rcode: entry.rcode } : {}) }, transfer };
}

export async function startUdpThreads(opts: UdpThreadsOptions): Promise<UdpThreads> {
  const source = udpWorkerSource();
  const workers: Worker[] = [];
  let closing = false;
  const flushWaiters = new Map<Worker, (() => void)[]>();

  const spawn = (mode: 'bind' | 'fd', fd: number) => new Promise<{ worker: Worker; fd: number; port: number }>((resolve, reject) => {
    const init: UdpWorkerInit = {
      mode, host: opts.host, port: opts.port, fd, family: opts.family, recvBufferSize: opts.recvBufferSize,
      cacheSize: opts.cache.capacity, needNames: opts.needNames, plainLimit: opts.plainLimit,
    };
    const worker = new Worker(source, { eval: true, workerData: init, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, maxOldGenerationSizeMb: WORKER_OLD_MB } });
    workers.push(worker);
    let bound = false;
    worker.on('message', (m: WorkerToMain) => {
      if (m.t === 'bound') {
        bound = true;
        resolve({ worker, fd: m.fd, port: m.port });
      } else if (m.t === 'q') onQuery(worker, m);
      else if (m.t === 'obs') onObservations(m);
      else if (m.t === 'flushed') flushWaiters.get(worker)?.shift()?.();
      else if (m.t === 'error') {
        if (!bound) reject(new Error(m.message));
        else opts.log.error('udp worker socket error', { error: m.message });
      }
    });
    worker.on('error', (err) => {
      if (!bound) reject(err);
      else opts.log.error('udp worker thread failed', { error: String(err) });
    });
    worker.on('exit', (code) => {
      if (!bound) reject(new Error(`udp worker exited (${code}) before binding`));
      else if (!closing) {
        // The threads share one socket; without this one, the server is not what it claims to be.
        opts.log.error('udp worker thread exited', { code });
        process.exit(1);
      }
    });
  });

  const send = (w: Worker, m: MainToWorker, transfer: ArrayBuffer[] = []) => w.postMessage(m, transfer);
  const onQuery = (w: Worker, m: Extract<WorkerToMain, { t: 'q' }>) => {
    const buf = Buffer.from(m.buf.buffer, m.buf.byteOffset, m.buf.byteLength);
    let done = false;
    try {
      opts.handle(buf, m.address, m.port, (bytes, entry) => {
        if (done) return;
        done = true;
        // Only when there is something to do: a dropped packet needs no message.
        if (!bytes && !entry) return;
        const { message, transfer } = answerMessage(buf, m.address, m.port, bytes, entry);
        send(w, message, transfer);
      });
    } catch (err) {
      opts.log.error('udp handler failed', { error: String(err) });
    }
  };
  // One object refilled for every replayed observation: observers read it and keep nothing, and a
  // fresh object per query would grow the main thread's young generation (~30 MB RSS measured).
  const ob: Observation = {
    qname: '', qtype: 0, proto: 'udp', family: opts.family, remoteAddress: '', remotePort: 0,
    rcode: 0, requestSize: 0, responseSize: 0, durationSeconds: 0, fast: true, answerCount: 0,
  };
  const onObservations = (m: Extract<WorkerToMain, { t: 'obs' }>) => {
    const d = m.data;
    for (let i = 0; i < m.n; i++) {
      const o = i * OBS_FIELDS;
      ob.qname = m.names?.[i] ?? '';
      ob.remoteAddress = m.remotes?.[i] ?? '';
      ob.remotePort = m.ports?.[i] ?? 0;
      ob.qtype = d[o]!;
      ob.rcode = d[o + 1]!;
      ob.requestSize = d[o + 2]!;
      ob.responseSize = d[o + 3]!;
      ob.durationSeconds = d[o + 4]!;
      ob.answerCount = d[o + 5]!;
      opts.observe(ob);
    }
  };

  try {
    const first = await spawn('bind', -1);
    if (first.fd < 0) throw new Error('cannot read the UDP socket descriptor in this Node version');
    for (let i = 1; i < opts.count; i++) await spawn('fd', first.fd);
    opts.cache.onClear(() => {
      for (const w of workers) send(w, { t: 'clear' });
    });
    return {
      port: first.port,
      flushObservations: () => Promise.all(workers.map((w) => new Promise<void>((resolve) => {
        const list = flushWaiters.get(w) ?? [];
        flushWaiters.set(w, list);
        const t = setTimeout(resolve, 1000); // a worker too busy to answer must not hold a scrape
        list.push(() => {
          clearTimeout(t);
          resolve();
        });
        send(w, { t: 'flush' });
      }))).then(() => undefined),
      close: async () => {
        closing = true;
        // Every thread closes the same fd when it ends. The owner goes last and right after the
        // others, so the number is not reused in between by anything this process opens.
        const [owner, ...others] = workers;
        await Promise.all(others.map((w) => w.terminate()));
        await owner?.terminate();
      },
    };
  } catch (err) {
    closing = true;
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
}
