/**
 * An in-process transport: HTTP/1.1 between an ApiClient and an API server's request listener in
 * the same process, over in-memory stream pairs instead of sockets and TLS. The server side is a
 * real (never listening) `http.Server`, so requests, responses, keep-alive, chunked watch streams,
 * timeouts and aborts behave as over TCP; only the kernel sockets and the encryption are gone.
 * `sextant server` hands it to its own controllers; any other client keeps using HTTPS.
 */
import { Duplex } from 'node:stream';
import http from 'node:http';

/** The URL an ApiClient uses with this transport (the host only names the agent's pool). */
export const IN_PROCESS_URL = 'http://in-process.sextant.invalid';

/** One end of an in-memory connection: what one side writes, the other reads (with back-pressure). */
class PipeEnd extends Duplex {
  peer!: PipeEnd;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 0;
  readonly remoteFamily = 'IPv4';
  readonly localAddress = '127.0.0.1';
  readonly localPort = 0;
  readonly encrypted = false;
  timeout = 0;
  private idle: NodeJS.Timeout | undefined;
  private blocked: (() => void) | undefined;

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.touch();
    this.peer.touch();
    if (this.peer.push(chunk)) cb();
    else this.peer.blocked = cb;
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.peer.push(null);
    cb();
  }

  override _read(): void {
    const cb = this.blocked;
    this.blocked = undefined;
    cb?.();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.setTimeout(0);
    const cont = this.blocked;
    this.blocked = undefined;
    cont?.();
    if (!this.peer.destroyed) this.peer.destroy();
    cb(err);
  }

  /** Idle timeout as net.Socket has it: 'timeout' after `ms` without reads or writes (0: off). */
  setTimeout(ms: number, onTimeout?: () => void): this {
    this.timeout = ms;
    // as net.Socket: a callback with 0 is removed (http's client clears its request timeout so)
    if (onTimeout) {
      if (ms === 0) this.removeListener('timeout', onTimeout);
      else this.once('timeout', onTimeout);
    }
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    if (ms > 0 && !this.destroyed) {
      this.idle = setTimeout(() => this.emit('timeout'), ms);
      this.idle.unref();
    }
    return this;
  }

  private touch(): void {
    this.idle?.refresh();
  }

  setKeepAlive(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: 'IPv4', port: 0 };
  }
}

function pipePair(): [PipeEnd, PipeEnd] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** An http.Agent whose connections are in-memory pairs handed to `accept`. */
class InProcessAgent extends http.Agent {
  constructor(private readonly accept: (serverSide: PipeEnd) => void, keepAlive: boolean) {
    super({ keepAlive, maxSockets: keepAlive ? 128 : Infinity });
  }

  override createConnection(): PipeEnd {
    const [client, server] = pipePair();
    this.accept(server);
    return client;
  }
}

export interface InProcessAgents {
  readonly agent: http.Agent;
  readonly watchAgent: http.Agent;
}

export class InProcessTransport {
  /** The URL to give ApiClient as `server` together with this transport. */
  readonly url = IN_PROCESS_URL;
  private readonly server: http.Server;
  private readonly serverEnds = new WeakSet<object>();
  private readonly open = new Set<PipeEnd>();
  private closed = false;

  /** `listener`: the API server's request handler (as given to its TCP listener). */
  constructor(listener: http.RequestListener, opts: { keepAliveTimeoutMs?: number } = {}) {
    this.server = http.createServer(listener);
    this.server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 65_000;
  }

  /** True for a request that arrived through this transport (the server's identity step asks). */
  owns(req: http.IncomingMessage): boolean {
    return this.serverEnds.has(req.socket);
  }

  /** Fresh agents for one client (requests with keep-alive, watch streams without). */
  agents(): InProcessAgents {
    const accept = (end: PipeEnd) => this.accept(end);
    return { agent: new InProcessAgent(accept, true), watchAgent: new InProcessAgent(accept, false) };
  }

  /** Ends every open in-process connection; later connections fail at once. */
  close(): void {
    this.closed = true;
    for (const end of this.open) end.destroy();
    this.open.clear();
  }

  private accept(end: PipeEnd): void {
    if (this.closed) {
      process.nextTick(() => end.peer.destroy(Object.assign(new Error('in-process API transport is closed'), { code: 'ECONNREFUSED' })));
      return;
    }
    this.serverEnds.add(end);
    this.open.add(end);
    end.once('close', () => this.open.delete(end));
    this.server.emit('connection', end);
  }
}
