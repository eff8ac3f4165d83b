/**
 * How ApiClient turns an answer into a result: the parsed JSON body of a 2xx, or an ApiError from
 * the Status (or the bare code) of anything else. The per-request collectors are classes, so a
 * request allocates one object and no closures (an HTTP exchange of http1-pool.ts, or a response
 * sink of the in-process transport).
 */
import { ApiError } from './errors.js';
import type { Http1Error, Http1Exchange } from './http1-pool.js';
import type { Http1Head } from './http1-response.js';
import type { LocalExchange } from './in-process-transport.js';
import type { ResponseSink } from './local-http.js';
import { connectionFailure, ConnectionFailure } from './server-pool.js';
import { statusSchema, type Status } from './status.js';

const REASONS: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  406: 'NotAcceptable', 409: 'Conflict', 410: 'Expired', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
  422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

/** An ApiError from a Status object (or from a bare HTTP code when the body is not a Status). */
export function apiErrorFromStatus(code: number, body: unknown): ApiError {
  const r = statusSchema.safeParse(body);
  if (r.success && (r.data.kind === 'Status' || r.data.reason !== undefined || r.data.message !== undefined)) {
    const s: Status = r.data;
    const c = s.code ?? code;
    return new ApiError(c, s.reason ?? REASONS[c] ?? 'Unknown', s.message ?? `HTTP ${c}`, s.details?.causes ?? [], s);
  }
  const text = typeof body === 'string' ? body.trim().slice(0, 500) : '';
  return new ApiError(code, REASONS[code] ?? 'Unknown', text || `the server answered HTTP ${code}`);
}

/** A body's JSON (usually an object or a Status) or, when it is not JSON, the text itself. */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** An answer's body pieces as one string (one piece, the usual case, without a copy). */
export function bodyText(pieces: Buffer[]): string {
  if (pieces.length === 1) return pieces[0]!.toString('utf8');
  return Buffer.concat(pieces).toString('utf8');
}

/** An in-process answer's pieces as one string (one string piece, the usual case, as it is). */
export function joinChunks(chunks: (string | Buffer)[]): string {
  if (chunks.length === 1 && typeof chunks[0] === 'string') return chunks[0];
  return chunks.map((c) => (typeof c === 'string' ? c : c.toString('utf8'))).join('');
}

/** A finished answer: the parsed JSON body of a 2xx, else an ApiError from its Status. */
export function settle<T>(code: number, contentType: string | undefined, text: string, resolve: (v: T) => void, reject: (e: Error) => void): void {
  const body = text !== '' && /json/.test(contentType ?? 'application/json') ? jsonOrText(text) : text;
  if (code >= 200 && code < 300) resolve(body as T);
  else reject(apiErrorFromStatus(code, body));
}

/** One request over HTTP (http1-pool.ts), settling a promise with its answer. */
export class HttpAnswer<T> implements Http1Exchange {
  private status = 0;
  private contentType: string | undefined;
  private readonly pieces: Buffer[] = [];

  constructor(
    readonly method: string,
    /** The path for error messages (without the query). */
    private readonly path: string,
    readonly target: string,
    readonly headers: string,
    readonly body: string | undefined,
    readonly timeoutMs: number,
    private readonly resolve: (v: T) => void,
    private readonly reject: (e: Error) => void,
  ) {}

  onHead(h: Http1Head): void {
    this.status = h.status;
    this.contentType = h.headers['content-type'];
  }

  onBody(piece: Buffer): void {
    this.pieces.push(piece);
  }

  onDone(): void {
    settle(this.status, this.contentType, bodyText(this.pieces), this.resolve, this.reject);
  }

  onError(err: Http1Error): void {
    this.reject(connectionFailure(`api: ${this.method} ${this.path}`, err, err.connected));
  }
}

/** One request through an in-process transport: the answer arrives as written, no HTTP in between. */
export class LocalAnswer<T> implements ResponseSink {
  private status = 0;
  private contentType: string | undefined;
  private readonly chunks: (string | Buffer)[] = [];
  private done = false;
  private readonly timer: NodeJS.Timeout;
  /** Set by the caller right after starting the exchange (the timeout aborts it). */
  exchange: LocalExchange | undefined;

  constructor(
    private readonly method: string,
    private readonly path: string,
    private readonly timeoutMs: number,
    private readonly resolve: (v: T) => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.timer = setTimeout(() => this.timedOut(), timeoutMs);
  }

  head(code: number, h: Record<string, string>): void {
    this.status = code;
    this.contentType = h['content-type'];
  }

  data(chunk: string | Buffer): void {
    this.chunks.push(chunk);
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    settle(this.status, this.contentType, joinChunks(this.chunks), this.resolve, this.reject);
  }

  fail(err: Error): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.reject(connectionFailure(`api: ${this.method} ${this.path}`, err, this.status !== 0));
  }

  private timedOut(): void {
    if (this.done) return;
    this.done = true;
    this.exchange?.abort();
    this.reject(new ConnectionFailure(`api: ${this.method} ${this.path}: timed out after ${this.timeoutMs} ms`, false));
  }
}
