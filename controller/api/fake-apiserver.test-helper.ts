/**
 * A small fake Kubernetes API server for client and informer tests: pods in one namespace, paged
 * lists with continue tokens, watches from a resourceVersion with bookmarks, compaction (410
 * Expired for older versions), stream closing, refusing watches, and restart on the same port.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

interface HistoryEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: FakeObject;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const status = (code: number, reason: string, message: string, causes?: unknown[]) => ({
  kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code,
  ...(causes ? { details: { causes } } : {}),
});

export class FakeApiServer {
  rv = 1;
  minRv = 0;
  readonly objects = new Map<string, FakeObject>();
  readonly history: HistoryEvent[] = [];
  readonly requests: RequestRecord[] = [];
  refuseWatches = false;
  private server: http.Server | undefined;
  private sockets = new Set<Socket>();
  private watchers = new Set<{ res: http.ServerResponse; bookmarks: boolean }>();
  port = 0;

  async start(port = 0): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening and drops every connection (a crash, as far as clients can tell). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.watchers.clear();
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  put(name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}): FakeObject {
    const rv = ++this.rv;
    const existed = this.objects.has(name);
    const obj: FakeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', resourceVersion: String(rv), labels }, spec };
    this.objects.set(name, obj);
    this.emit({ rv, type: existed ? 'MODIFIED' : 'ADDED', object: obj });
    return obj;
  }

  del(name: string): void {
    const obj = this.objects.get(name);
    if (!obj) return;
    const rv = ++this.rv;
    this.objects.delete(name);
    this.emit({ rv, type: 'DELETED', object: { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } } });
  }

  /** Forgets history: watches and continue tokens from before now get 410 Expired. */
  compact(): void {
    this.minRv = this.rv;
    this.history.length = 0;
  }

  /** Ends every open watch stream cleanly. */
  closeWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** Sends a BOOKMARK at the current revision to watchers that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (w.bookmarks) w.res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } })}\n`);
    }
  }

  watchRequests(): RequestRecord[] {
    return this.requests.filter((r) => r.query.get('watch') === 'true');
  }

  private emit(ev: HistoryEvent): void {
    this.history.push(ev);
    for (const w of this.watchers) w.res.write(`${JSON.stringify({ type: ev.type, object: ev.object })}\n`);
  }

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body });
    const m = /^\/api\/v1\/namespaces\/default\/pods(?:\/([^/]+))?(?:\/(status))?$/.exec(url.pathname);
    if (!m) return this.send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const name = m[1];
    if (req.method === 'GET' && name === undefined) {
      return url.searchParams.get('watch') === 'true' ? this.watch(url, res) : this.list(url, res);
    }
    if (req.method === 'GET' && name) {
      const obj = this.objects.get(name);
      return obj ? this.send(res, 200, obj) : this.send(res, 404, status(404, 'NotFound', `pods "${name}" not found`));
    }
    if (req.method === 'POST') {
      const obj = JSON.parse(body) as FakeObject;
      if (obj.metadata.name === 'bad') {
        return this.send(res, 422, status(422, 'Invalid', 'Pod "bad" is invalid: spec.containers: Required value', [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' }]));
      }
      if (this.objects.has(obj.metadata.name)) return this.send(res, 409, status(409, 'AlreadyExists', `pods "${obj.metadata.name}" already exists`));
      return this.send(res, 201, this.put(obj.metadata.name, obj.metadata.labels, obj.spec));
    }
    if ((req.method === 'PUT' || req.method === 'PATCH') && name) {
      const cur = this.objects.get(name);
      if (!cur) return this.send(res, 404, status(404, 'NotFound', `pods "${name}" not found`));
      const patch = JSON.parse(body) as Partial<FakeObject>;
      if (req.method === 'PUT' && patch.metadata?.resourceVersion && patch.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        return this.send(res, 409, status(409, 'Conflict', 'the object has been modified'));
      }
      return this.send(res, 200, this.put(name, patch.metadata?.labels ?? cur.metadata.labels, { ...cur.spec, ...patch.spec }));
    }
    if (req.method === 'DELETE' && name) {
      const cur = this.objects.get(name);
      if (!cur) return this.send(res, 404, status(404, 'NotFound', `pods "${name}" not found`));
      this.del(name);
      return this.send(res, 200, cur);
    }
    return this.send(res, 405, status(405, 'MethodNotAllowed', 'method not allowed'));
  }

  private list(url: URL, res: http.ServerResponse): void {
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const cont = url.searchParams.get('continue');
    let at = this.rv;
    let offset = 0;
    if (cont) {
      const [r, o] = cont.split(':').map(Number) as [number, number];
      if (r < this.minRv) return this.send(res, 410, status(410, 'Expired', 'The provided continue parameter is too old'));
      at = r;
      offset = o;
    }
    const sel = url.searchParams.get('labelSelector');
    const all = [...this.objects.values()]
      .filter((o) => Number(o.metadata.resourceVersion) <= at)
      .filter((o) => !sel || sel.split(',').every((kv) => { const [k, v] = kv.split('='); return o.metadata.labels?.[k!] === v; }))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const items = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
    const next = limit > 0 && offset + limit < all.length ? `${at}:${offset + limit}` : undefined;
    this.send(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(at), ...(next ? { continue: next } : {}) }, items });
  }

  private watch(url: URL, res: http.ServerResponse): void {
    if (this.refuseWatches) return this.send(res, 503, status(503, 'ServiceUnavailable', 'watches are refused for now'));
    const from = Number(url.searchParams.get('resourceVersion') ?? '0');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    if (from < this.minRv) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.minRv})`) })}\n`);
      return;
    }
    for (const ev of this.history) if (ev.rv > from) res.write(`${JSON.stringify({ type: ev.type, object: ev.object })}\n`);
    const w = { res, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true' };
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
  }
}
