import http from 'node:http';
import type { Logger } from '../daemon/logger.js';
import type { HealthCheckTarget } from './sync-engine.js';

/**
 * kube-proxy's per-service health-check NodePorts for externalTrafficPolicy Local: an external
 * load balancer asks each node and sends traffic only to nodes answering 200 (a local endpoint
 * exists); 503 otherwise. The body says how many local endpoints there are.
 */
export class HealthCheckServers {
  private readonly servers = new Map<number, { server: http.Server; target: HealthCheckTarget }>();

  constructor(
    private readonly log: Logger,
    private readonly host = '0.0.0.0',
  ) {}

  /** Opens, updates and closes listeners so exactly `targets` are served. */
  sync(targets: readonly HealthCheckTarget[]): void {
    const want = new Map(targets.map((t) => [t.port, t]));
    for (const [port, s] of this.servers) {
      if (!want.has(port)) {
        s.server.close();
        s.server.closeAllConnections();
        this.servers.delete(port);
      }
    }
    for (const [port, target] of want) {
      const cur = this.servers.get(port);
      if (cur) {
        cur.target = target;
        continue;
      }
      const entry = { server: http.createServer((_req, res) => this.answer(entry.target, res)), target };
      entry.server.on('error', (err) => this.log.error('health-check node port listener failed', { port, error: String(err) }));
      entry.server.listen(port, this.host);
      this.servers.set(port, entry);
    }
  }

  private answer(t: HealthCheckTarget, res: http.ServerResponse): void {
    const body = { service: { namespace: t.namespace, name: t.name }, localEndpoints: t.localEndpoints, serviceProxyHealthy: true };
    res.writeHead(t.localEndpoints > 0 ? 200 : 503, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' });
    res.end(JSON.stringify(body));
  }

  close(): void {
    this.sync([]);
  }
}
