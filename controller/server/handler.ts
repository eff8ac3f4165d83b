/**
 * The request pipeline of the API server: parse → identify (authn) → authorize → route → answer,
 * with metrics and a Status for every failure. Non-resource paths (`/version`, health, metrics,
 * discovery, OpenAPI) are answered here; resource requests go to the REST handlers.
 */
import type http from 'node:http';
import type { Registry } from 'prom-client';
import type { KindInfo } from '../api/kinds.js';
import type { Logger } from '../../daemon/logger.js';
import type { KubeletClientCredential } from '../auth/kubelet-client.js';
import { aggregatedDiscovery, apiGroupDocument, apiGroupList, apiResourceList, apiVersions } from './discovery.js';
import { ApiServerError, errors, toApiServerError } from './errors.js';
import { allowAllAuthorizer, anonymousAuthenticator, type Authenticator, type Authorizer, type UserInfo } from './identity.js';
import type { ServerMetrics } from './metrics.js';
import { AGGREGATED_DISCOVERY_CONTENT_TYPE, wantsAggregatedDiscovery } from './negotiation.js';
import { requestTarget, type RequestInfo, type RequestUrl, type ResourceRequest } from './request-info.js';
import type { ResourceRegistry } from './resource-registry.js';
import { sendError, sendJson } from './respond.js';
import type { RestContext, WatchSettings } from './rest-context.js';
import {
  createObject,
  deleteCollection,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  updateObject,
  watchObjects,
} from './rest-handlers.js';
import { serveBinding, serveLog, serveScale } from './subresources.js';
import type { TableConverter } from './table-output.js';
import type { OpenWatch } from './watch-stream.js';

/** A pre-serialised document with its ETag. */
export interface ServedDoc {
  body: Buffer;
  etag: string;
  contentType: string;
}

/** Serves `/openapi/v3` and `/openapi/v3/<group-version>`; undefined = not found. */
export type OpenApiProvider = (path: string) => ServedDoc | undefined;

export interface ServerVersion {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

export interface ApiHandlerOptions {
  registry: ResourceRegistry;
  log: Logger;
  metrics: ServerMetrics;
  promRegistry: Registry;
  table: TableConverter;
  openapi?: OpenApiProvider;
  authenticate?: Authenticator;
  authorize?: Authorizer;
  version: ServerVersion;
  /** `host:port` clients should use (legacy `/api` serverAddressByClientCIDRs). */
  advertiseAddress: string;
  /** null when ready to serve, else why not (for /readyz). */
  ready: () => string | null;
  watch: WatchSettings;
  /** The client certificate for node agents' endpoints (pods/log); absent: those answer 503. */
  kubeletClient?: KubeletClientCredential;
}

export interface ApiHandler {
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Ends every open watch stream (shutdown). */
  closeWatches(): Promise<void>;
  openWatches(): number;
}

/** What the metrics of a request in flight need when its response finishes. */
interface PendingRequest {
  req: http.IncomingMessage;
  started: bigint;
  /** Set once the target is parsed (a malformed path leaves it unset). */
  info: RequestInfo | undefined;
}
const PENDING = Symbol('sextant.handler.pending');
type TrackedResponse = http.ServerResponse & { [PENDING]?: PendingRequest };

const metricVerb = (info: RequestInfo | undefined, method: string) =>
  info?.kind === 'resource' ? info.verb.toUpperCase() : method.toUpperCase();

export function createApiHandler(o: ApiHandlerOptions): ApiHandler {
  const watches = new Set<OpenWatch>();
  const authenticate = o.authenticate ?? anonymousAuthenticator;
  const authorize = o.authorize ?? allowAllAuthorizer;
  const kinds = () => o.registry.model.kinds();

  // group/version/resource → kind, built on first use (the served kinds are fixed).
  let byResource: Map<string, KindInfo> | undefined;
  const findKind = (info: ResourceRequest): KindInfo => {
    byResource ??= new Map(kinds().map((x) => [`${x.group}/${x.version}/${x.resource}`, x]));
    const k = byResource.get(`${info.group}/${info.version}/${info.resource}`);
    if (!k) throw errors.pathNotFound(`${info.verb} ${info.resource}`);
    return k;
  };

  async function route(req: http.IncomingMessage, res: http.ServerResponse, url: RequestUrl, info: RequestInfo, user: UserInfo): Promise<void> {
    const accept = req.headers.accept;
    switch (info.kind) {
      case 'discovery-root':
        if (wantsAggregatedDiscovery(accept)) return sendJson(res, 200, aggregatedDiscovery(kinds(), info.root), AGGREGATED_DISCOVERY_CONTENT_TYPE);
        return sendJson(res, 200, info.root === 'api' ? apiVersions(o.advertiseAddress) : apiGroupList(kinds()));
      case 'discovery-group': {
        const doc = apiGroupDocument(kinds(), info.group);
        if (!doc) throw errors.pathNotFound(url.pathname);
        return sendJson(res, 200, doc);
      }
      case 'discovery-version': {
        const doc = apiResourceList(kinds(), info.group, info.version);
        if (!doc) throw errors.pathNotFound(url.pathname);
        return sendJson(res, 200, doc);
      }
      case 'other':
        return routeOther(req, res, url);
      case 'resource':
        return routeResource(req, res, url, info, user);
    }
  }

  async function routeOther(req: http.IncomingMessage, res: http.ServerResponse, url: RequestUrl): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/version') return sendJson(res, 200, o.version);
    if (path === '/healthz' || path === '/livez' || path.startsWith('/healthz/') || path.startsWith('/livez/')) return sendText(res, 200, 'ok');
    if (path === '/readyz' || path.startsWith('/readyz/')) {
      const why = o.ready();
      return sendText(res, why ? 503 : 200, why ? `not ready: ${why}` : 'ok');
    }
    if (path === '/metrics') {
      const text = await o.promRegistry.metrics();
      res.writeHead(200, { 'Content-Type': o.promRegistry.contentType });
      res.end(text);
      return;
    }
    if (path.startsWith('/openapi/v3') && o.openapi) {
      const doc = o.openapi(path);
      if (doc) {
        if (req.headers['if-none-match'] === doc.etag) {
          res.writeHead(304, { ETag: doc.etag });
          res.end();
          return;
        }
        res.writeHead(200, { 'Content-Type': doc.contentType, 'Content-Length': doc.body.length, ETag: doc.etag, 'Cache-Control': url.searchParams.has('hash') ? 'public, immutable, max-age=31536000' : 'no-cache, private' });
        res.end(doc.body);
        return;
      }
    }
    if (path === '/') {
      return sendJson(res, 200, { paths: ['/api', '/api/v1', '/apis', ...kinds().filter((k) => k.group).map((k) => `/apis/${k.group}/${k.version}`), '/healthz', '/livez', '/metrics', '/openapi/v3', '/readyz', '/version'].filter((p, i, a) => a.indexOf(p) === i) });
    }
    throw errors.pathNotFound(url.pathname);
  }

  async function routeResource(req: http.IncomingMessage, res: http.ServerResponse, url: RequestUrl, info: ResourceRequest, user: UserInfo): Promise<void> {
    if (info.group === '' && info.resource === 'bindings') {
      const k = findKind({ ...info, resource: 'pods' });
      const ctx: RestContext = context(req, res, url, info, k, user);
      return serveBinding(ctx);
    }
    const kind = findKind(info);
    if (!kind.namespaced && info.namespace !== undefined) throw errors.pathNotFound(url.pathname);
    const ctx = context(req, res, url, info, kind, user);
    if (info.subresource) {
      if (!(kind.subresources as readonly string[]).includes(info.subresource)) throw errors.pathNotFound(url.pathname);
      switch (info.subresource) {
        case 'scale':
          return serveScale(ctx);
        case 'binding':
          return serveBinding(ctx, info.name);
        case 'log':
          return serveLog(ctx, o.kubeletClient);
        case 'status':
          if (info.verb === 'get') return getObject(ctx);
          if (info.verb === 'update') return updateObject(ctx);
          if (info.verb === 'patch') return patchObject(ctx);
          throw errors.methodNotAllowed(info.verb, `${kind.resource}/status`);
      }
    }
    if (!kind.verbs.includes(info.verb)) throw errors.methodNotAllowed(info.verb, kind.resource);
    if (kind.namespaced && info.namespace === undefined && info.verb !== 'list' && info.verb !== 'watch')
      throw errors.pathNotFound(url.pathname);
    switch (info.verb) {
      case 'get':
        return getObject(ctx);
      case 'list':
        return listObjects(ctx);
      case 'watch':
        return watchObjects(ctx);
      case 'create':
        return createObject(ctx);
      case 'update':
        return updateObject(ctx);
      case 'patch':
        return patchObject(ctx);
      case 'delete':
        return deleteObject(ctx);
      case 'deletecollection':
        return deleteCollection(ctx);
    }
  }

  function context(req: http.IncomingMessage, res: http.ServerResponse, url: RequestUrl, info: ResourceRequest, kind: KindInfo, user: UserInfo): RestContext {
    return { req, res, info, kind, query: url.searchParams, user, registry: o.registry, table: o.table, watches, watch: o.watch };
  }

  /**
   * Counts a finished request. One listener for every response (`this` is the response; its
   * request's state rides on it), so a request allocates no closures for it.
   */
  function finish(this: TrackedResponse): void {
    const p = this[PENDING]!;
    const info = p.info;
    const resource = info?.kind === 'resource' ? info.resource + (info.subresource ? `/${info.subresource}` : '') : '';
    const verb = metricVerb(info, p.req.method ?? 'GET');
    o.metrics.requests.inc({ verb, resource, code: String(this.statusCode) });
    if (verb !== 'WATCH') o.metrics.latency.observe({ verb, resource }, Number(process.hrtime.bigint() - p.started) / 1e9);
  }

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, p: PendingRequest): Promise<void> {
    try {
      const target = requestTarget(req);
      const url = target.url;
      const info = (p.info = target.info);
      // Awaited only when asynchronous: the guard and the default seams answer at once.
      const who = authenticate(req);
      const user = who instanceof Promise ? await who : who;
      if (!user) throw new ApiServerError('Unauthorized', 'Unauthorized');
      const allowed = authorize(user, info);
      const verdict = allowed instanceof Promise ? await allowed : allowed;
      if (verdict !== true) throw new ApiServerError('Forbidden', verdict);
      if (info.kind === 'resource' && info.verb === 'watch') {
        const r = info.resource;
        o.metrics.watches.inc({ resource: r });
        o.metrics.longRunning.inc({ verb: 'WATCH', resource: r });
        o.metrics.latency.observe({ verb: 'WATCH', resource: r }, Number(process.hrtime.bigint() - p.started) / 1e9);
        try {
          await route(req, res, url, info, user);
        } finally {
          o.metrics.watches.dec({ resource: r });
          o.metrics.longRunning.dec({ verb: 'WATCH', resource: r });
        }
        return;
      }
      await route(req, res, url, info, user);
    } catch (err) {
      const e = toApiServerError(err);
      if (e.code === 'InternalError') o.log.error('request failed', { method: req.method, url: req.url, error: err instanceof Error ? err.stack : String(err) });
      sendError(res, e);
    }
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const p: PendingRequest = { req, started: process.hrtime.bigint(), info: undefined };
    (res as TrackedResponse)[PENDING] = p;
    res.on('finish', finish);
    void serve(req, res, p);
  }

  return {
    handle,
    openWatches: () => watches.size,
    closeWatches: async () => {
      const open = [...watches];
      for (const w of open) w.close();
      await Promise.all(open.map((w) => w.done));
    },
  };
}

function sendText(res: http.ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}
