/**
 * The code a UDP worker thread runs (see udp-threads.ts): receive on the shared UDP socket, answer
 * what its packet cache holds (parse the question without decoding, copy the cached bytes, patch
 * ID, flags and letter case, one send), and hand everything else to the main thread, which runs
 * the plugin chain and sends back the bytes to send (plus the entry to cache when the answer is
 * stable). Fast-path observations go to the main thread in batches for metrics and the query log.
 *
 * A worker runs this module's source text, not the bundle: loading the whole `sextant` bundle
 * costs each thread ~35 MB (measured), this ~10 MB. So `udpWorkerMain` and what it calls from
 * packet-cache.ts use nothing but each other, their parameters and globals; `udpWorkerSource()`
 * joins their source, and the worker tests run exactly that text.
 */
import type dgramModule from 'node:dgram';
import type workerThreads from 'node:worker_threads';
import { PacketCache, lower, parseQueryKey, patchResponse, sameQuestion } from './packet-cache.js';

export interface UdpWorkerInit {
  /** `bind`: this worker binds host:port and reports the socket's fd; `fd`: wrap that fd. */
  mode: 'bind' | 'fd';
  host: string;
  port: number;
  fd: number;
  family: 4 | 6;
  recvBufferSize: number;
  cacheSize: number;
  /** Whether observers read names and addresses (the log plugin). */
  needNames: boolean;
  /** Largest UDP answer without EDNS (512). */
  plainLimit: number;
}

/** Fields per fast-path observation in a batch. */
export const OBS_FIELDS = 6;

/** Worker → main. */
export type WorkerToMain =
  | { t: 'bound'; fd: number; port: number }
  | { t: 'error'; message: string }
  /** Sent after the observations a `flush` asked for. */
  | { t: 'flushed' }
  | { t: 'q'; buf: Uint8Array; address: string; port: number }
  /** `n` observations: qtype, rcode, request size, response size, seconds, answer count each; names/remotes when asked. */
  | { t: 'obs'; n: number; data: Float64Array; names?: string[]; remotes?: string[]; ports?: number[] };

/** Main → worker. */
export type MainToWorker =
  /** The answer to a passed-on query: bytes to send, and the full answer to cache when stable. */
  | { t: 'a'; query: Uint8Array; address: string; port: number; bytes: Uint8Array | undefined; full?: Uint8Array; rcode?: number }
  | { t: 'clear' }
  | { t: 'flush' };

export function udpWorkerMain(dgram: typeof dgramModule, wt: typeof workerThreads): void {
  const init = wt.workerData as UdpWorkerInit;
  const parent = wt.parentPort!;
  const post = (m: WorkerToMain, transfer?: ArrayBuffer[]) => parent.postMessage(m, transfer ?? []);
  const cache = new PacketCache(init.cacheSize);
  const BATCH = 512;
  let data = new Float64Array(BATCH * 6);
  let n = 0;
  let names: string[] = [];
  let remotes: string[] = [];
  let ports: number[] = [];
  const flush = () => {
    if (n === 0) return;
    const msg: WorkerToMain = { t: 'obs', n, data, ...(init.needNames ? { names, remotes, ports } : {}) };
    post(msg, [data.buffer as ArrayBuffer]);
    data = new Float64Array(BATCH * 6);
    n = 0;
    names = [];
    remotes = [];
    ports = [];
  };
  setInterval(flush, 250).unref();
  const qname = (buf: Buffer, nameEnd: number): string => {
    const parts: string[] = [];
    for (let off = 12; off < nameEnd - 1; off += 1 + buf[off]!) parts.push(buf.toString('latin1', off + 1, off + 1 + buf[off]!));
    return parts.length === 0 ? '.' : parts.join('.');
  };

  // Answers go to the address a query came from, always an IP literal: skip dns.lookup (which
  // defers every send by a nextTick) with a lookup that hands the literal straight back.
  const lookup = (address: string, family: number, cb: (err: null, address: string, family: number) => void) => cb(null, address, family);
  const sock = dgram.createSocket({ type: init.family === 6 ? 'udp6' : 'udp4', recvBufferSize: init.recvBufferSize, lookup: lookup as unknown as dgramModule.SocketOptions['lookup'] });
  sock.on('error', (err) => post({ t: 'error', message: String(err) }));
  sock.on('message', (buf, rinfo) => {
    const t0 = performance.now();
    const key = parseQueryKey(buf);
    if (key) {
      const hit = cache.get(buf, key);
      const limit = key.ednsSize === undefined ? init.plainLimit : Math.max(init.plainLimit, key.ednsSize);
      if (hit && hit.full.length <= limit) {
        const out = patchResponse(hit.full, buf, key);
        sock.send(out, rinfo.port, rinfo.address);
        const o = n * 6;
        data[o] = (buf[key.nameEnd]! << 8) | buf[key.nameEnd + 1]!;
        data[o + 1] = hit.rcode;
        data[o + 2] = buf.length;
        data[o + 3] = out.length;
        data[o + 4] = (performance.now() - t0) / 1000;
        data[o + 5] = (out[6]! << 8) | out[7]!;
        if (init.needNames) {
          names.push(qname(buf, key.nameEnd));
          remotes.push(rinfo.address);
          ports.push(rinfo.port);
        }
        if (++n === BATCH) flush();
        return;
      }
    }
    // Everything else (misses, answers too large for this client, odd packets) goes to the chain.
    const copy = new Uint8Array(buf);
    post({ t: 'q', buf: copy, address: rinfo.address, port: rinfo.port }, [copy.buffer as ArrayBuffer]);
  });

  parent.on('message', (m: MainToWorker) => {
    if (m.t === 'a') {
      if (m.bytes) sock.send(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), m.port, m.address);
      if (m.full && m.rcode !== undefined) {
        const query = Buffer.from(m.query.buffer, m.query.byteOffset, m.query.byteLength);
        const key = parseQueryKey(query);
        // Copied into this thread's Buffer pool: a view of the received ArrayBuffer would keep an
        // ArrayBuffer object and a malloc'd backing store per cached answer.
        if (key) cache.set(query, key, Buffer.from(m.full), m.rcode);
      }
    } else if (m.t === 'clear') cache.clear();
    else if (m.t === 'flush') {
      flush();
      post({ t: 'flushed' });
    }
  });

  const listening = () => post({ t: 'bound', fd: socketFd(sock), port: sock.address().port });
  if (init.mode === 'bind') sock.bind({ address: init.host, port: init.port, exclusive: true }, listening);
  else sock.bind({ fd: init.fd }, listening);

  /**
   * The file descriptor of a bound dgram socket. Node has no public getter (the socket's
   * `_handle` is deprecated, DEP0112), so it is read from the socket's internal state, which has
   * held the handle under the `state symbol` key since Node 12. -1 if not found.
   */
  function socketFd(s: dgramModule.Socket): number {
    const sym = Object.getOwnPropertySymbols(s).find((x) => x.description === 'state symbol');
    const state = sym ? (s as unknown as Record<symbol, { handle?: { fd?: number } }>)[sym] : undefined;
    return typeof state?.handle?.fd === 'number' ? state.handle.fd : -1;
  }
}

/** The JavaScript a worker thread evaluates: the helpers it uses, then `udpWorkerMain(...)`. */
export function udpWorkerSource(): string {
  // esbuild's keepNames (tsx) wraps inner functions in __name(); harmless identity here.
  const prelude = 'var __name = (f) => f;';
  // `var <name> = <source>`: in the bundle a lazily initialised module's class is an anonymous
  // `class {...}` assigned to its (possibly renamed) variable, which `.name` reports, as it does a
  // function's (possibly renamed) identifier — the names the other functions' sources refer to.
  const parts = [lower, sameQuestion, parseQueryKey, patchResponse, PacketCache, udpWorkerMain].map((f) => `var ${f.name} = ${f.toString()};`);
  return `${prelude}\n${parts.join('\n')}\n${udpWorkerMain.name}(require('node:dgram'), require('node:worker_threads'));\n`;
}
