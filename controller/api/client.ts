/**
 * ApiClient: a small Kubernetes REST client over node:http/https with keep-alive agents. It speaks
 * only the public API, so daemons run unchanged against Sextant's server or a real kube-apiserver.
 * Every non-2xx answer becomes an ApiError carrying the Status code, reason, message and causes.
 * Given several servers (`servers`, or a kubeconfig listing them), it fails over between them
 * (server-pool.ts): reads and watches move to the next server on a connection failure or a 503.
 */
import { readFileSync, statSync } from 'node:fs';
import { apiErrorFromStatus, HttpAnswer, LocalAnswer } from './answer.js';
import { ApiError } from './errors.js';
import { headerLines } from './http1-pool.js';
import type { ExchangeTransport } from './in-process-transport.js';
import type { KindInfo } from './kinds.js';
import { loadKubeconfig } from './kubeconfig.js';
import type { List, WatchEvent } from './list.js';
import type { ResponseSink } from './local-http.js';
import { connectionFailure, ConnectionFailure, ServerPool, type ServerEndpoint } from './server-pool.js';
import { WatchStream } from './watch-stream.js';

export interface ApiClientOptions {
  /** `https://host:6443` or `http://127.0.0.1:6443`. */
  server: string;
  /**
   * Further API servers of the same cluster (same store, same CA), tried in order after `server`
   * when it cannot be reached or answers 503. Credentials and TLS settings apply to all of them.
   */
  servers?: string[];
  token?: string;
  /** Re-read the bearer token from this file when it changes (projected tokens rotate). */
  tokenFile?: string;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  insecureSkipTLSVerify?: boolean;
  tlsServerName?: string;
  username?: string;
  password?: string;
  userAgent?: string;
  /** Timeout of non-watch requests (default 30 s). */
  requestTimeoutMs?: number;
  /** The kubeconfig context's namespace, for callers that want a default. */
  namespace?: string;
  /**
   * Talk to an API server in this process without sockets, TLS or HTTP framing (`sextant
   * server`'s own controllers): every request is an exchange with `transport`; `server`,
   * `servers` and TLS are ignored.
   */
  transport?: ExchangeTransport;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface WatchOptions<T> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  /** Server-side timeout; the server ends the stream cleanly after it. */
  timeoutSeconds?: number;
  /** Called for every event line, in order (ERROR events included, with a Status object). */
  onEvent(event: WatchEvent<T>): void;
  /** Called once when the stream ends: no error for a clean end, else the cause. */
  onClose(err?: Error): void;
}

export interface WatchHandle {
  /** Abort the stream; onClose is not called after stop(). */
  stop(): void;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface WriteOptions {
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  dryRun?: boolean;
  /** Address a subresource (`status`, `scale`, `binding`) of the named object. */
  subresource?: string;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export { apiErrorFromStatus };

type Meta = { metadata?: { name?: string; namespace?: string } };

export class ApiClient {
  readonly namespace: string;
  private readonly pool: ServerPool;
  private token: string | undefined;
  private tokenMtime = 0;

  constructor(private readonly opts: ApiClientOptions) {
    const transport = opts.transport;
    const urls = transport ? [transport.url] : [opts.server, ...(opts.servers ?? [])].map((u) => u.replace(/\/+$/, ''));
    this.pool = new ServerPool([...new Set(urls)], {
      ca: opts.ca, cert: opts.cert, key: opts.key,
      rejectUnauthorized: !opts.insecureSkipTLSVerify,
      servername: opts.tlsServerName,
    });
    this.namespace = opts.namespace ?? 'default';
    this.token = opts.token;
  }

  /**
   * A client for the current context of a kubeconfig (default `$KUBECONFIG` or `~/.kube/config`),
   * failing over between every server the context's cluster lists.
   */
  static fromKubeconfig(path?: string, opts: { context?: string } = {}): ApiClient {
    const c = loadKubeconfig(path, opts);
    return new ApiClient(c);
  }

  /** The server requests go to now (it changes when the client fails over). */
  get server(): URL {
    return this.pool.active.url;
  }

  /** Every server this client may use, in order of preference. */
  get servers(): string[] {
    return this.pool.endpoints.map((e) => e.url.href);
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.pool.close();
  }

  /** The URL path of a kind's collection or of one object (and its subresource). */
  path(kind: KindInfo, namespace: string | undefined, name?: string, subresource?: string): string {
    let p = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
    if (kind.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${kind.resource}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
    return p;
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.opts.userAgent ?? 'sextant', ...extra };
    if (this.opts.tokenFile) {
      try {
        const m = statSync(this.opts.tokenFile).mtimeMs;
        if (m !== this.tokenMtime) {
          this.token = readFileSync(this.opts.tokenFile, 'utf8').trim();
          this.tokenMtime = m;
        }
      } catch {
        // keep the last token; the server will say 401 if it is stale
      }
    }
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    else if (this.opts.username !== undefined) {
      h.Authorization = `Basic ${Buffer.from(`${this.opts.username}:${this.opts.password ?? ''}`).toString('base64')}`;
    }
    return h;
  }

  /**
   * One request; resolves with the parsed JSON body of a 2xx answer, rejects with ApiError
   * otherwise (code 0 when no answer arrived). Public for the odd endpoint the verbs do not cover.
   */
  request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers = this.headers(payload !== undefined ? { 'Content-Type': opts.contentType ?? 'application/json' } : {});
    const target = withQuery(path.startsWith('/') ? path : `/${path}`, opts.query);
    if (this.opts.transport) {
      const transport = this.opts.transport;
      const body = payload === undefined ? undefined : Buffer.from(payload);
      return this.pool.run(method, () => this.exchangeOn<T>(transport, method, path, target, body, headers, opts.timeoutMs));
    }
    return this.pool.run(method, (ep) => this.requestOn<T>(ep, method, path, target, payload, headerLines(headers), opts.timeoutMs));
  }

  /** One exchange on one server's keep-alive connections (http1-pool.ts). */
  private requestOn<T>(ep: ServerEndpoint, method: string, path: string, target: string, payload: string | undefined, headers: string, timeoutMs: number | undefined): Promise<T> {
    const ms = timeoutMs ?? this.opts.requestTimeoutMs ?? 30_000;
    return new Promise<T>((resolve, reject) => {
      ep.http.send(new HttpAnswer<T>(method, path, target, headers, payload, ms, resolve, reject));
    });
  }

  /** requestOn through an in-process transport: the answer arrives as written, no HTTP in between. */
  private exchangeOn<T>(transport: ExchangeTransport, method: string, path: string, target: string, payload: Buffer | undefined, headers: Record<string, string>, timeoutMs: number | undefined): Promise<T> {
    const ms = timeoutMs ?? this.opts.requestTimeoutMs ?? 30_000;
    return new Promise<T>((resolve, reject) => {
      const answer = new LocalAnswer<T>(method, path, ms, resolve, reject);
      answer.exchange = transport.exchange({ method, url: target, headers: lowerCased(headers), body: payload }, answer);
    });
  }

  get<T>(kind: KindInfo<T>, namespace: string | undefined, name: string, opts: { subresource?: string; resourceVersion?: string } = {}): Promise<T> {
    return this.request<T>('GET', this.path(kind as KindInfo, namespace, name, opts.subresource), { query: { resourceVersion: opts.resourceVersion } });
  }

  list<T>(kind: KindInfo<T>, opts: ListOptions = {}): Promise<List<T>> {
    const { namespace, ...query } = opts;
    return this.request<List<T>>('GET', this.path(kind as KindInfo, namespace), { query: { ...query } });
  }

  /** Creates `obj` in `obj.metadata.namespace` (or, for a subresource such as binding, under `name`). */
  create<T>(kind: KindInfo<T>, obj: T, opts: WriteOptions & { name?: string } = {}): Promise<T> {
    const meta = (obj as Meta).metadata;
    const name = opts.subresource ? opts.name ?? meta?.name : undefined;
    return this.request<T>('POST', this.path(kind as KindInfo, meta?.namespace, name, opts.subresource), {
      body: obj, query: writeQuery(opts),
    });
  }

  update<T>(kind: KindInfo<T>, obj: T, opts: WriteOptions = {}): Promise<T> {
    const meta = (obj as Meta).metadata;
    if (!meta?.name) return Promise.reject(new ApiError(0, 'BadRequest', 'api: update needs metadata.name'));
    return this.request<T>('PUT', this.path(kind as KindInfo, meta.namespace, meta.name, opts.subresource), { body: obj, query: writeQuery(opts) });
  }

  updateStatus<T>(kind: KindInfo<T>, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.update(kind, obj, { ...opts, subresource: 'status' });
  }

  patch<T>(kind: KindInfo<T>, namespace: string | undefined, name: string, patch: unknown, type: PatchType, opts: WriteOptions & { force?: boolean } = {}): Promise<T> {
    return this.request<T>('PATCH', this.path(kind as KindInfo, namespace, name, opts.subresource), {
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      query: { ...writeQuery(opts), force: opts.force },
    });
  }

  /** Deletes an object; resolves with what the server answers (the object or a Status). */
  delete(kind: KindInfo, namespace: string | undefined, name: string, opts: DeleteOptions & { dryRun?: boolean } = {}): Promise<unknown> {
    const { dryRun, ...body } = opts;
    return this.request('DELETE', this.path(kind, namespace, name), {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', ...body },
      query: { dryRun: dryRun ? 'All' : undefined },
    });
  }

  /**
   * Starts a watch. Resolves once the server accepted it (HTTP 200) with a handle to stop it;
   * rejects with ApiError when the server refused it (e.g. 410 Expired, 403).
   */
  watch<T>(kind: KindInfo<T>, opts: WatchOptions<T>): Promise<WatchHandle> {
    return this.pool.run('GET', (ep) => this.watchOn(ep, kind, {
      ...opts,
      onClose: (err) => {
        // a stream cut by the server's death: the caller's next watch goes to the next server
        if (err instanceof ApiError && err.reason === 'ConnectionError' && this.pool.endpoints.length > 1) this.pool.advance(ep);
        opts.onClose(err);
      },
    }));
  }

  private watchOn<T>(ep: ServerEndpoint, kind: KindInfo<T>, opts: WatchOptions<T>): Promise<WatchHandle> {
    const path = this.path(kind as KindInfo, opts.namespace);
    const target = withQuery(path, {
      watch: 'true',
      labelSelector: opts.labelSelector || undefined,
      fieldSelector: opts.fieldSelector || undefined,
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: opts.allowWatchBookmarks,
      timeoutSeconds: opts.timeoutSeconds,
    });
    const idleMs = ((opts.timeoutSeconds ?? 600) + 60) * 1000;
    if (this.opts.transport) return this.watchExchange(this.opts.transport, path, target, opts, idleMs);
    const headers = headerLines(this.headers({}));
    return new Promise<WatchHandle>((resolve, reject) => {
      const ws = new WatchStream<T>(path, { onEvent: (e) => opts.onEvent(e), onClose: (err) => opts.onClose(err), resolve, reject, abort: () => handle.abort() });
      const handle = ep.http.send({
        method: 'GET', target, headers, timeoutMs: idleMs, dedicated: true,
        onHead: (h) => ws.head(h.status),
        onBody: (piece) => ws.data(piece),
        onDone: () => ws.end(),
        onError: (err) =>
          ws.fail(
            () => connectionFailure(`api: watch ${path}`, err.code === 'ETIMEDOUT' ? Object.assign(new Error(`no data for ${idleMs} ms`), { code: err.code }) : err, err.connected),
            () => new ConnectionFailure(`api: watch ${path}: ${err.code === 'ETIMEDOUT' ? `no data for ${idleMs} ms` : 'connection closed mid-stream'}`, false),
          ),
      });
    });
  }

  /** The watch of watchOn through an in-process transport: event lines arrive as written. */
  private watchExchange<T>(transport: ExchangeTransport, path: string, target: string, opts: WatchOptions<T>, idleMs: number): Promise<WatchHandle> {
    return new Promise<WatchHandle>((resolve, reject) => {
      // The transport has no socket timeout: a stream silent for idleMs is cut here.
      let idle: NodeJS.Timeout | undefined;
      const ws = new WatchStream<T>(path, {
        onEvent: (e) => opts.onEvent(e),
        onClose: (err) => opts.onClose(err),
        resolve,
        reject,
        abort: () => ex.abort(),
        onFinish: () => {
          if (idle) clearTimeout(idle);
        },
      });
      const sink: ResponseSink = {
        head: (code) => {
          if (!ws.head(code)) return;
          idle = setTimeout(() => {
            ex.abort();
            ws.close(new ConnectionFailure(`api: watch ${path}: no data for ${idleMs} ms`, false));
          }, idleMs);
        },
        data: (chunk) => {
          if (ws.active) idle?.refresh();
          ws.data(chunk);
        },
        end: () => ws.end(),
        fail: (err) =>
          ws.fail(
            () => connectionFailure(`api: watch ${path}`, err, ws.answered),
            () => new ConnectionFailure(`api: watch ${path}: connection closed mid-stream`, false),
          ),
      };
      const ex = transport.exchange({ method: 'GET', url: target, headers: lowerCased(this.headers({})) }, sink);
    });
  }
}



/** A request target needs no escaping when it is visible ASCII only (no spaces, no controls). */
const PLAIN_TARGET = /^[\x21-\x7e]*$/;

/**
 * `path` with the defined query values appended (form-encoded as URLSearchParams does); a path
 * with spaces or non-ASCII characters is percent-encoded as a URL would (the request line must
 * not carry them raw).
 */
function withQuery(path: string, query: Record<string, string | number | boolean | undefined> | undefined): string {
  let q: URLSearchParams | undefined;
  for (const k in query) {
    const v = query[k];
    if (v !== undefined) (q ??= new URLSearchParams()).set(k, String(v));
  }
  const target = q ? `${path}${path.includes('?') ? '&' : '?'}${q.toString()}` : path;
  if (PLAIN_TARGET.test(target)) return target;
  const u = new URL(target, 'http://target.invalid');
  return u.pathname + u.search;
}




const lowerCased = (h: Record<string, string>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
};

type RequestOptions = { query?: Record<string, string | number | boolean | undefined>; body?: unknown; contentType?: string; timeoutMs?: number };

function writeQuery(opts: WriteOptions): Record<string, string | undefined> {
  return { fieldManager: opts.fieldManager, fieldValidation: opts.fieldValidation, dryRun: opts.dryRun ? 'All' : undefined };
}
