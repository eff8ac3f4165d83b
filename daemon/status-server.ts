import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';

/** A check for /healthz or /readyz: returns null when fine, else the reason it is not. */
export type Check = () => string | null;

export interface StatusServerOptions {
  /** `ADDRESS:PORT`; port 0 picks a free one. */
  listen: string;
  registry: Registry;
  healthy?: Check;
  ready?: Check;
  /** Extra routes by exact path, e.g. kube-proxy's health-check JSON. */
  routes?: Record<string, http.RequestListener>;
}

export interface StatusServer {
  address: AddressInfo;
  close(): Promise<void>;
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port: Number(listen.slice(i + 1)) };
}

/**
 * The small HTTP endpoint every daemon has: `/healthz` and `/livez` (process fine), `/readyz`
 * (synced and serving), and `/metrics` in Prometheus text format.
 */
export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  const check = (res: http.ServerResponse, c: Check | undefined) => {
    const reason = c ? c() : null;
    res.writeHead(reason ? 503 : 200, { 'content-type': 'text/plain' });
    res.end(reason ? `not ok: ${reason}\n` : 'ok\n');
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const extra = opts.routes?.[path];
    if (extra) return extra(req, res);
    if (path === '/healthz' || path === '/livez') return check(res, opts.healthy);
    if (path === '/readyz') return check(res, opts.ready);
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  const { host, port } = splitHostPort(opts.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
