/**
 * An ApiClient over several API server URLs (several `sextant server` processes on one etcd):
 * every request and watch goes to the current server; a connection error (refused, reset,
 * unreachable, timed out) moves to the next URL and retries there — for writes only when the
 * connection was never established, so a write is never sent twice. Informers and controllers
 * take it wherever they take an ApiClient.
 */
import { ApiClient, type ApiClientOptions, type WatchHandle, type WatchOptions } from '../api/client.js';
import { ApiError, isApiError } from '../api/errors.js';
import type { KindInfo } from '../api/kinds.js';

/** Errors of a connection that never carried the request (safe to retry anywhere). */
const NOT_SENT = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|connect ETIMEDOUT/;
/** Errors worth trying another server for a read. */
const CONNECTION = /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|socket hang up|timed out/;

export class FailoverApiClient extends ApiClient {
  private readonly clients: ApiClient[];
  private current = 0;

  /** `servers` in order of preference; the other options apply to every server. */
  constructor(opts: Omit<ApiClientOptions, 'server'>, servers: string[]) {
    if (servers.length === 0) throw new ApiError(0, 'BadRequest', 'api: at least one server URL is needed');
    super({ ...opts, server: servers[0]! });
    this.clients = servers.map((server) => new ApiClient({ ...opts, server }));
  }

  /** The URL requests currently go to. */
  get activeServer(): string {
    return this.clients[this.current]!.server.toString();
  }

  override close(): void {
    super.close();
    for (const c of this.clients) c.close();
  }

  private retriable(err: unknown, method: string): boolean {
    if (!isApiError(err, 'ConnectionError')) return false;
    return (method === 'GET' ? CONNECTION : NOT_SENT).test(err.message);
  }

  private advance(from: number): void {
    if (this.current === from) this.current = (from + 1) % this.clients.length;
  }

  override async request<T>(method: string, path: string, opts: Parameters<ApiClient['request']>[2] = {}): Promise<T> {
    let last: unknown;
    for (let i = 0; i < this.clients.length; i++) {
      const at = this.current;
      try {
        return await this.clients[at]!.request<T>(method, path, opts);
      } catch (err) {
        if (!this.retriable(err, method)) throw err;
        last = err;
        this.advance(at);
      }
    }
    throw last;
  }

  override async watch<T>(kind: KindInfo<T>, opts: WatchOptions<T>): Promise<WatchHandle> {
    let last: unknown;
    for (let i = 0; i < this.clients.length; i++) {
      const at = this.current;
      try {
        return await this.clients[at]!.watch(kind, {
          ...opts,
          onClose: (err) => {
            if (err && CONNECTION.test(err.message)) this.advance(at);
            opts.onClose(err);
          },
        });
      } catch (err) {
        if (!this.retriable(err, 'GET')) throw err;
        last = err;
        this.advance(at);
      }
    }
    throw last;
  }
}
