/**
 * ready: `GET /ready` answers 200 "OK" once every plugin that can be unready (kubernetes, until its
 * informers synced) is ready, else 503 with the reasons, so a rollout waits for a synced server.
 */
import type { Plugin } from '../../chain.js';
import { serveHttp, type HealthServer } from '../health/handler.js';

export function readyPlugin(listen: string, plugins: () => readonly Plugin[]): Plugin & { port(): number } {
  let srv: HealthServer | undefined;
  return {
    name: 'ready',
    port: () => srv?.port ?? 0,
    async start() {
      srv = await serveHttp(listen, {
        '/ready': (res) => {
          const reasons = plugins().map((p) => p.notReady?.() ?? null).filter((r): r is string => r !== null);
          res.writeHead(reasons.length ? 503 : 200, { 'content-type': 'text/plain' });
          res.end(reasons.length ? `${reasons.join('\n')}\n` : 'OK');
        },
      });
    },
    stop: async () => srv?.close(),
  };
}
