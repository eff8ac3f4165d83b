/**
 * The API servers one ApiClient talks to: one URL, or several `sextant server` processes on one
 * etcd (a kubeconfig listing several servers). Requests go to the current server; a connection
 * failure or a 503 moves the pool to the next one, which then serves every later request until it
 * fails in turn. The pool only decides where to go and whether a failure may be retried
 * elsewhere; ApiClient does the HTTP.
 */
import { ApiError } from './errors.js';
import { Http1Pool, type Http1Tls } from './http1-pool.js';

export type ServerTls = Http1Tls;

/** One API server URL with its keep-alive HTTP/1.1 connections (watches get their own). */
export interface ServerEndpoint {
  readonly url: URL;
  readonly http: Http1Pool;
}

/** Socket errors of a connection that never carried the request: any verb may go elsewhere. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

/**
 * A request that got no HTTP answer. `notSent` is true when the connection was never established,
 * so the server cannot have acted on it (a write may be retried on another server).
 */
export class ConnectionFailure extends ApiError {
  constructor(message: string, readonly notSent: boolean) {
    super(0, 'ConnectionError', message);
  }
}

/** Wraps a socket error of `method path` as a ConnectionFailure. */
export function connectionFailure(prefix: string, err: Error & { code?: string | undefined }, connected: boolean): ConnectionFailure {
  return new ConnectionFailure(`${prefix}: ${err.message}`, !connected && err.code !== undefined && NOT_SENT_CODES.has(err.code));
}

/**
 * Whether `err` (from `method` on one server) should move the pool on, and whether the same call
 * may be repeated on the next server. Reads (GET, watches) retry on any connection failure and on
 * 503; writes retry only when they were provably never sent — a 503 or a reset may come after the
 * store acted, and a write must not be applied twice — but the pool still moves on for them.
 */
export function failoverDecision(err: unknown, method: string): { advance: boolean; retry: boolean } {
  if (err instanceof ConnectionFailure) return { advance: true, retry: method === 'GET' || err.notSent };
  if (err instanceof ApiError && err.code === 0 && err.reason === 'ConnectionError') return { advance: true, retry: method === 'GET' };
  if (err instanceof ApiError && err.code === 503) return { advance: true, retry: method === 'GET' };
  return { advance: false, retry: false };
}

export class ServerPool {
  readonly endpoints: readonly ServerEndpoint[];
  private current = 0;

  /**
   * `urls` in order of preference (the first is used first); TLS settings apply to every server.
   */
  constructor(urls: readonly string[], tls: ServerTls) {
    if (urls.length === 0) throw new ApiError(0, 'BadRequest', 'api: at least one server URL is needed');
    this.endpoints = urls.map((u) => {
      const url = new URL(u);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ApiError(0, 'BadRequest', `api: server must be an http:// or https:// URL, got ${u}`);
      return { url, http: new Http1Pool(url, tls, 32) };
    });
  }

  /** The server calls go to now. */
  get active(): ServerEndpoint {
    return this.endpoints[this.current]!;
  }

  /** Moves on from `from` to the next server, unless another failure already moved the pool. */
  advance(from: ServerEndpoint): void {
    const i = this.endpoints.indexOf(from);
    if (i === this.current) this.current = (i + 1) % this.endpoints.length;
  }

  /**
   * Runs `call` on the active server; on a failure that `failoverDecision` allows to retry, on the
   * next server, trying each server at most once. Rejects with the last failure.
   */
  async run<T>(method: string, call: (ep: ServerEndpoint) => Promise<T>): Promise<T> {
    let last: unknown;
    for (let i = 0; i < this.endpoints.length; i++) {
      const ep = this.active;
      try {
        return await call(ep);
      } catch (err) {
        const d = failoverDecision(err, method);
        if (d.advance && this.endpoints.length > 1) this.advance(ep);
        if (!d.retry) throw err;
        last = err;
      }
    }
    throw last;
  }

  close(): void {
    for (const ep of this.endpoints) ep.http.close();
  }
}
