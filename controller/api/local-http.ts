/**
 * A request/response pair for calling an `http.RequestListener` in this process without HTTP
 * framing: the listener gets a readable request (method, url, headers, body) and a response with
 * the part of `http.ServerResponse` an API server uses (writeHead/setHeader/statusCode, write/end
 * with cork and writableLength, flushHeaders, destroy, 'finish' and 'close'). What it writes
 * reaches a sink as the head and the chunks as written (strings stay strings), delivered on the
 * next tick in write order, so the listener never runs its caller's code inside a write.
 */
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { Readable } from 'node:stream';

export interface LocalRequestInit {
  method: string;
  /** Path and query, as `req.url`. */
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: Buffer | undefined;
}

/** Where a response goes: `head` once, then `data` per written chunk, then `end` or `fail`. */
export interface ResponseSink {
  head(status: number, headers: Record<string, string>): void;
  data(chunk: string | Buffer): void;
  end(): void;
  /** The response was destroyed before it ended (the connection would have been cut). */
  fail(err: Error): void;
}

/** The connection a local request arrived on: not a socket, only what identity steps read. */
export interface LocalConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly encrypted: false;
}

/**
 * The body of a request that is already in memory, taken whole instead of read as a stream
 * (`readBody` asks first); undefined for any other request, or once the body was taken or read.
 */
export function takeInMemoryBody(req: object): Buffer | undefined {
  return req instanceof LocalRequest ? req.takeBody() : undefined;
}

const EMPTY = Buffer.alloc(0);

/**
 * The request as a readable stream of its body; the body stays a Buffer until someone reads the
 * stream, so a reader that takes it whole (`takeInMemoryBody`) never pays for stream events.
 */
export class LocalRequest extends Readable {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly httpVersion = '1.1';
  readonly complete = true;
  private body: Buffer | undefined;

  constructor(init: LocalRequestInit, readonly socket: LocalConnection) {
    super();
    this.method = init.method;
    this.url = init.url;
    this.headers = init.body ? { ...init.headers, 'content-length': String(init.body.length) } : init.headers;
    this.body = init.body ?? EMPTY;
  }

  override _read(): void {
    const b = this.takeBody();
    if (b && b.length > 0) this.push(b);
    this.push(null);
  }

  /** The whole body, once: the stream then reads as empty. Undefined once the stream was read. */
  takeBody(): Buffer | undefined {
    const b = this.body;
    if (b === undefined) return undefined;
    this.body = undefined;
    return b;
  }
}

type HeaderValue = string | number | readonly string[];

export class LocalResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  destroyed = false;
  writableLength = 0;
  private readonly headerMap: Record<string, string> = {};
  private queue: (string | Buffer)[] = [];
  private headDelivered = false;
  private ended = false;
  private scheduled = false;

  constructor(private readonly sink: ResponseSink) {
    super();
  }

  setHeader(name: string, value: HeaderValue): this {
    this.headerMap[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    return this;
  }

  getHeader(name: string): string | undefined {
    return this.headerMap[name.toLowerCase()];
  }

  removeHeader(name: string): void {
    delete this.headerMap[name.toLowerCase()];
  }

  writeHead(code: number, headers?: Record<string, HeaderValue | undefined> | string, more?: Record<string, HeaderValue | undefined>): this {
    if (this.headersSent) throw new Error('local response: writeHead after the head was sent');
    this.statusCode = code;
    const h = typeof headers === 'string' ? more : headers;
    for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined) this.setHeader(k, v);
    this.headersSent = true;
    return this;
  }

  flushHeaders(): void {
    this.headersSent = true;
    this.schedule();
  }

  cork(): void {}

  uncork(): void {}

  write(chunk: string | Buffer | Uint8Array, encOrCb?: BufferEncoding | (() => void), cb?: () => void): boolean {
    if (this.writableEnded) throw new Error('local response: write after end');
    this.headersSent = true;
    if (!this.destroyed && chunk.length > 0) {
      const c = typeof chunk === 'string' || Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      this.queue.push(c);
      this.writableLength += c.length;
      this.schedule();
    }
    const done = typeof encOrCb === 'function' ? encOrCb : cb;
    if (done) process.nextTick(done);
    return true;
  }

  end(chunk?: string | Buffer | Uint8Array | (() => void), encOrCb?: BufferEncoding | (() => void), cb?: () => void): this {
    if (this.writableEnded) return this;
    const done = typeof chunk === 'function' ? chunk : typeof encOrCb === 'function' ? encOrCb : cb;
    if (chunk !== undefined && typeof chunk !== 'function') this.write(chunk);
    this.headersSent = true;
    this.writableEnded = true;
    this.ended = true;
    this.schedule();
    if (done) this.once('finish', done);
    return this;
  }

  /** Cuts the response (as a reset connection): the sink fails unless it already ended. */
  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.queue = [];
    this.writableLength = 0;
    const delivered = this.ended && !this.scheduled;
    if (!delivered) this.sink.fail(err ?? new Error('socket hang up'));
    process.nextTick(() => this.emit('close'));
    return this;
  }

  /** The caller went away (as a client closing its connection): 'close', and nothing more to the sink. */
  abort(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.queue = [];
    this.writableLength = 0;
    process.nextTick(() => this.emit('close'));
  }

  private schedule(): void {
    if (this.scheduled || this.destroyed) return;
    this.scheduled = true;
    process.nextTick(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.destroyed) return;
    if (!this.headDelivered) {
      this.headDelivered = true;
      this.sink.head(this.statusCode, this.headerMap);
    }
    const q = this.queue;
    this.queue = [];
    this.writableLength = 0;
    for (const c of q) {
      if (this.destroyed) return;
      this.sink.data(c);
    }
    if (this.ended && !this.destroyed) {
      this.destroyed = true;
      this.sink.end();
      this.emit('finish');
      this.emit('close');
    }
  }
}

/** The listener's view: the pair as the types of node:http (only the used members are real). */
export function asHttp(req: LocalRequest, res: LocalResponse): [http.IncomingMessage, http.ServerResponse] {
  return [req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse];
}
