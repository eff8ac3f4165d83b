/**
 * Assembles the API server: registry over a Store, the request pipeline, metrics, and a
 * node:http listener (the seam for TLS: pass a different `createServer`). Creates the system
 * namespaces at start. Used by `sextant server` and by tests that run it in-process.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { SEXTANT_VERSION } from '../../cli/version-command.js';
import type { Logger } from '../../daemon/logger.js';
import type { KubeletClientCredential } from '../auth/kubelet-client.js';
import { splitHostPort } from '../../daemon/status-server.js';
import { isStoreError } from '../store/errors.js';
import type { Store } from '../store/store.js';
import type { AdmissionHook } from './admission.js';
import { createExecProxy, type UpgradeListener } from './exec-proxy.js';
import { createApiHandler, type ApiHandler, type OpenApiProvider, type ServerVersion } from './handler.js';
import type { Authenticator, Authorizer } from './identity.js';
import { createServerMetrics } from './metrics.js';
import { apiModel, type ApiModel } from './model.js';
import { prepareForCreate } from './object-meta.js';
import { ResourceRegistry, SYSTEM_NAMESPACES } from './resource-registry.js';
import { metadataTable, type TableConverter } from './table-output.js';

export interface ApiServerOptions {
  store: Store;
  log: Logger;
  /** `ADDRESS:PORT`; port 0 picks a free one. */
  listen: string;
  /** Address clients should use; defaults to the listen address. */
  advertiseAddress?: string;
  model?: ApiModel;
  admission?: AdmissionHook[];
  table?: TableConverter;
  openapi?: OpenApiProvider;
  authenticate?: Authenticator;
  authorize?: Authorizer;
  /**
   * The listener factory: node:http by default; https.createServer with TLS options later. Given
   * `upgrade` (pods/exec), it installs it (behind its guard); a factory that ignores it gets it
   * installed as is.
   */
  createServer?: (handler: http.RequestListener, upgrade?: UpgradeListener) => http.Server;
  /** The URL scheme the listener serves (`https` when createServer makes a TLS server). */
  scheme?: 'http' | 'https';
  /** Time a client has to send its headers, and its whole request (slow-client protection). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  bookmarkIntervalMs?: number;
  minWatchTimeoutSeconds?: number;
  /** The client certificate for node agents' endpoints (pods/log, pods/exec). */
  kubeletClient?: KubeletClientCredential;
}

export interface ApiServer {
  address: AddressInfo;
  /** `http://host:port` */
  url: string;
  registry: ResourceRegistry;
  handler: ApiHandler;
  promRegistry: Registry;
  /** The listener's `upgrade` handler (pods/exec), for further listeners (the unix socket). */
  upgrade: UpgradeListener;
  /** Stops accepting, ends watches, waits for in-flight requests. The store stays open. */
  close(): Promise<void>;
}

export const serverVersion = (): ServerVersion => ({
  major: '1',
  minor: '32',
  gitVersion: `v1.32.0-sextant.${SEXTANT_VERSION}`,
  gitCommit: '',
  gitTreeState: 'clean',
  buildDate: '1970-01-01T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'tsc',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
});

/** Creates default, kube-system, kube-public and kube-node-lease when missing. */
export async function ensureSystemNamespaces(store: Store): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    const obj: Record<string, unknown> = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
      spec: {},
      status: { phase: 'Active' },
    };
    prepareForCreate(obj);
    try {
      await store.create(`/core/namespaces/${name}`, obj);
    } catch (err) {
      if (!isStoreError(err, 'AlreadyExists')) throw err;
    }
  }
}

export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const model = o.model ?? apiModel();
  const registry = new ResourceRegistry({ store: o.store, model, ...(o.admission ? { admission: o.admission } : {}) });
  await ensureSystemNamespaces(o.store);
  const promRegistry = new Registry();
  collectDefaultMetrics({ register: promRegistry });
  const metrics = createServerMetrics(promRegistry);
  const { host, port } = splitHostPort(o.listen);
  let ready = false;
  const handler = createApiHandler({
    registry,
    log: o.log,
    metrics,
    promRegistry,
    table: o.table ?? metadataTable,
    ...(o.openapi ? { openapi: o.openapi } : {}),
    ...(o.authenticate ? { authenticate: o.authenticate } : {}),
    ...(o.authorize ? { authorize: o.authorize } : {}),
    ...(o.kubeletClient ? { kubeletClient: o.kubeletClient } : {}),
    version: serverVersion(),
    advertiseAddress: o.advertiseAddress ?? `${host}:${port}`,
    ready: () => (ready ? null : 'starting'),
    watch: { bookmarkIntervalMs: o.bookmarkIntervalMs ?? 10_000, minTimeoutSeconds: o.minWatchTimeoutSeconds ?? 1800 },
  });
  const execProxy = createExecProxy({ registry, log: o.log, authenticate: o.authenticate, authorize: o.authorize, kubeletClient: o.kubeletClient, metrics });
  const server = (o.createServer ?? ((h) => http.createServer(h)))(handler.handle, execProxy);
  if (server.listenerCount('upgrade') === 0) server.on('upgrade', execProxy);
  // further listeners (the unix socket) take the same path, the factory's guard included
  const upgrade: UpgradeListener = (req, socket, head) => void server.emit('upgrade', req, socket, head);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = o.headersTimeoutMs ?? 66_000;
  server.requestTimeout = o.requestTimeoutMs ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  ready = true;
  const hostText = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    address,
    url: `${o.scheme ?? 'http'}://${hostText}:${address.port}`,
    registry,
    handler,
    promRegistry,
    upgrade,
    close: async () => {
      ready = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.closeWatches();
      server.closeIdleConnections();
      const t = setTimeout(() => server.closeAllConnections(), 5000);
      await closed;
      clearTimeout(t);
    },
  };
}
