/**
 * A keep-alive HTTP/1.1 client for one origin (http:// or https://), made for ApiClient's small
 * JSON requests: each request is written as one string (head and body together), its answer read
 * by Http1ResponseReader, and the connection kept for the next one — at most `maxSockets` at a
 * time, further requests waiting in order. TLS connections share one secure context (CA, client
 * certificate) and resume the last TLS session. A `dedicated` exchange (a watch) gets a
 * connection of its own that is closed when it ends. It does less than node:http (no
 * pipelining, no upgrades, no request streaming), and costs a fraction of its CPU per request.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Http1ResponseReader, type Http1Head, type Http1ResponseEvents } from './http1-response.js';

export interface Http1Tls {
  ca?: string | Buffer | undefined;
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  rejectUnauthorized: boolean;
  servername?: string | undefined;
}

/** One request and where its answer goes. */
export interface Http1Exchange {
  method: string;
  /** Path and query. */
  target: string;
  /** Header lines, each `Name: value\r\n` (Host, Content-Length and Connection are added). */
  headers: string;
  body?: string | undefined;
  /** The connection may be silent this long before the exchange fails (inactivity, as node's setTimeout). */
  timeoutMs: number;
  /** A connection of its own, closed at the end (a watch): not pooled, not counted in maxSockets. */
  dedicated?: boolean;
  onHead(head: Http1Head): void;
  onBody(piece: Buffer): void;
  onDone(): void;
  /** No (complete) answer: `connected` tells whether the connection was ever established. */
  onError(err: Http1Error): void;
}

/** Why an exchange got no complete answer; `code` as node's socket errors (ECONNREFUSED, ...). */
export class Http1Error extends Error {
  constructor(message: string, readonly code: string | undefined, readonly connected: boolean) {
    super(message);
  }
}

export interface Http1Handle {
  /** Cuts the exchange (its connection is closed); no callback runs after it. */
  abort(): void;
}

/** Header names and values must be plain visible ASCII (no CR/LF: no header injection). */
const UNSAFE_HEADER = /[^\t\x20-\x7e]/;

/** Checks `name: value` header pairs and formats them as header lines. */
export function headerLines(headers: Record<string, string>): string {
  let out = '';
  for (const name in headers) {
    const value = headers[name]!;
    if (UNSAFE_HEADER.test(name) || name.includes(':') || UNSAFE_HEADER.test(value)) throw new TypeError(`invalid character in header ${JSON.stringify(name)}`);
    out += `${name}: ${value}\r\n`;
  }
  return out;
}

/**
 * One socket and the exchange it carries. It is its own reader's event sink and the pool's
 * callbacks are methods: nothing is allocated per request beyond the reader and the head string.
 */
class Connection implements Http1ResponseEvents {
  readonly socket: net.Socket;
  connected = false;
  exchange: Http1Exchange | undefined;
  private reader: Http1ResponseReader | undefined;
  private failure: Error | undefined;
  private reusable = false;

  constructor(
    socket: net.Socket,
    private readonly pool: Http1Pool,
    readonly dedicated: boolean,
  ) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => (this.failure = err));
    socket.on('timeout', () => {
      const ms = this.exchange?.timeoutMs;
      this.failure = new Http1Error(`timed out after ${ms} ms`, 'ETIMEDOUT', this.connected);
      socket.destroy();
    });
    socket.on('close', () => this.onClose());
  }

  start(x: Http1Exchange, host: string): void {
    this.exchange = x;
    this.reusable = false;
    this.reader = new Http1ResponseReader(this, x.method === 'HEAD');
    this.socket.ref();
    this.socket.setTimeout(x.timeoutMs);
    const body = x.body ?? '';
    const length = x.body === undefined ? '' : `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    const connection = x.dedicated ? 'Connection: close\r\n' : '';
    this.socket.write(`${x.method} ${x.target} HTTP/1.1\r\nHost: ${host}\r\n${x.headers}${length}${connection}\r\n${body}`);
  }

  /** Stops the current exchange without telling it anything more, and closes the connection. */
  abort(): void {
    this.exchange = undefined;
    this.reader = undefined;
    this.socket.destroy();
  }

  head(h: Http1Head): void {
    this.exchange?.onHead(h);
  }

  body(piece: Buffer): void {
    this.exchange?.onBody(piece);
  }

  done(reusable: boolean): void {
    this.reusable = reusable;
  }

  private onData(chunk: Buffer): void {
    const reader = this.reader;
    const x = this.exchange;
    if (!reader || !x) {
      // bytes nobody asked for: the connection is out of step
      this.socket.destroy();
      return;
    }
    let used: number;
    try {
      used = reader.write(chunk);
    } catch (err) {
      this.failure = err as Error;
      this.socket.destroy();
      return;
    }
    // aborted by one of its own callbacks: nothing more to do
    if (this.exchange !== x) return;
    if (!reader.complete) return;
    this.exchange = undefined;
    this.reader = undefined;
    this.socket.setTimeout(0);
    const keep = this.reusable && used === chunk.length && !this.dedicated;
    if (!keep) this.socket.destroy();
    this.pool.release(this, keep);
    x.onDone();
  }

  private onClose(): void {
    const x = this.exchange;
    const reader = this.reader;
    this.exchange = undefined;
    this.reader = undefined;
    this.pool.release(this, false);
    if (!x) return;
    if (reader && !this.failure && reader.end()) {
      x.onDone();
      return;
    }
    const f = this.failure as (Error & { code?: string }) | undefined;
    if (f instanceof Http1Error) x.onError(f);
    else if (f) x.onError(new Http1Error(f.message, f.code, this.connected));
    else x.onError(new Http1Error('socket hang up', 'ECONNRESET', this.connected));
  }
}

/** The handle of one exchange. */
class PendingExchange implements Http1Handle {
  constructor(private readonly pool: Http1Pool, private readonly x: Http1Exchange) {}

  abort(): void {
    this.pool.abort(this.x);
  }
}

export class Http1Pool {
  private readonly idle: Connection[] = [];
  private readonly waiting: Http1Exchange[] = [];
  private readonly all = new Set<Connection>();
  /** Pooled connections open or opening (dedicated ones are not counted). */
  private pooled = 0;
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly secure: boolean;
  private secureContext: tls.SecureContext | undefined;
  private session: Buffer | undefined;

  constructor(url: URL, private readonly tlsOptions: Http1Tls, private readonly maxSockets = 32) {
    this.secure = url.protocol === 'https:';
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = Number(url.port) || (this.secure ? 443 : 80);
    this.hostHeader = url.host;
  }

  /** Starts an exchange; its callbacks run later, never inside this call. */
  send(x: Http1Exchange): Http1Handle {
    const handle = new PendingExchange(this, x);
    if (x.dedicated) {
      this.connect(true).start(x, this.hostHeader);
      return handle;
    }
    let free = this.idle.pop();
    // a socket that ended while idle is on its way out (its 'close' has not run yet)
    while (free && (free.socket.destroyed || !free.socket.writable)) free = this.idle.pop();
    if (free) free.start(x, this.hostHeader);
    else if (this.pooled < this.maxSockets) {
      this.pooled++;
      this.connect(false).start(x, this.hostHeader);
    } else this.waiting.push(x);
    return handle;
  }

  /** Cuts `x` wherever it is: still waiting (it never starts) or on its connection (closed). */
  abort(x: Http1Exchange): void {
    const i = this.waiting.indexOf(x);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      return;
    }
    for (const c of this.all) if (c.exchange === x) c.abort();
  }

  /**
   * Closes every connection (as destroying a node:http Agent): exchanges in flight fail with a
   * connection error; waiting and later ones open new connections.
   */
  close(): void {
    this.idle.length = 0;
    for (const c of [...this.all]) c.socket.destroy();
  }

  private connect(dedicated: boolean): Connection {
    let socket: net.Socket;
    if (this.secure) {
      const o = this.tlsOptions;
      this.secureContext ??= tls.createSecureContext({ ca: o.ca, cert: o.cert, key: o.key });
      const servername = o.servername ?? (net.isIP(this.host) ? undefined : this.host);
      const s = tls.connect({
        host: this.host, port: this.port, secureContext: this.secureContext, rejectUnauthorized: o.rejectUnauthorized,
        ...(servername ? { servername } : {}), ...(this.session ? { session: this.session } : {}),
      });
      s.on('session', (session: Buffer) => (this.session = session));
      s.once('secureConnect', () => (conn.connected = true));
      socket = s;
    } else {
      socket = net.connect({ host: this.host, port: this.port });
      socket.once('connect', () => (conn.connected = true));
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 1000);
    const conn: Connection = new Connection(socket, this, dedicated);
    this.all.add(conn);
    return conn;
  }

  /** A connection finished its exchange (`reusable`: it may take the next) or is gone. */
  release(c: Connection, reusable: boolean): void {
    if (!this.all.has(c)) return;
    if (reusable) {
      const next = this.waiting.shift();
      if (next) {
        c.start(next, this.hostHeader);
        return;
      }
      c.socket.unref();
      this.idle.push(c);
      return;
    }
    // the connection is gone (or going): forget it and let a waiting request open a new one
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (c.dedicated) return;
    this.pooled--;
    const next = this.waiting.shift();
    if (next) {
      this.pooled++;
      this.connect(false).start(next, this.hostHeader);
    }
  }
}
