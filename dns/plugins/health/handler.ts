/**
 * health: `GET /health` answers 200 "OK" while the process runs. On shutdown the server enters
 * lame-duck mode for `lameduckMs`: DNS keeps answering and /health keeps answering 200 (as in
 * CoreDNS), giving load balancers and kube-proxy time to move clients away before sockets close.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Plugin } from '../../chain.js';
import { splitHostPort } from '../../../daemon/status-server.js';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function serveHttp(listen: string, routes: Record<string, (res: http.ServerResponse) => void>): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const route = routes[(req.url ?? '/').split('?')[0]!];
    if (route) return route(res);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  const { host, port } = splitHostPort(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export function healthPlugin(listen: string, lameduckMs: number): Plugin & { port(): number } {
  let srv: HealthServer | undefined;
  return {
    name: 'health',
    port: () => srv?.port ?? 0,
    async start() {
      srv = await serveHttp(listen, {
        '/health': (res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('OK');
        },
      });
    },
    async stop() {
      if (lameduckMs > 0) await new Promise((r) => setTimeout(r, lameduckMs));
      await srv?.close();
    },
  };
}
