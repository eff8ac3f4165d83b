import { z } from 'zod';
import type { Registry } from 'prom-client';
import type { Plugin } from '../../chain.js';
import type { SetupContext } from '../../plugin-context.js';
import { serveHttp, type HealthServer } from '../health/handler.js';
import { metricsPlugin } from './handler.js';

/** The `metrics` block of the config file. */
export const metricsConfigSchema = z.object({ listen: z.string().default(':9153') }).strict();
export type MetricsConfig = z.infer<typeof metricsConfigSchema>;

/** The metrics observer plus the `/metrics` endpoint (CoreDNS's :9153). */
export function setupMetrics(cfg: MetricsConfig, registry: Registry, dnsListen: string, ctx?: Pick<SetupContext, 'beforeScrape'>): Plugin & { port(): number } {
  const observer = metricsPlugin(registry, `dns://${dnsListen}`);
  let srv: HealthServer | undefined;
  return {
    ...observer,
    port: () => srv?.port ?? 0,
    async start() {
      srv = await serveHttp(cfg.listen, {
        '/metrics': (res) => {
          Promise.all((ctx?.beforeScrape ?? []).map((f) => f())).then(() => registry.metrics()).then((text) => {
            res.writeHead(200, { 'content-type': registry.contentType });
            res.end(text);
          }, (err: unknown) => {
            res.writeHead(500);
            res.end(String(err));
          });
        },
      });
    },
    stop: async () => srv?.close(),
  };
}
