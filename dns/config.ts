/**
 * The server's configuration: a YAML file (validated with zod; each plugin's block is checked by
 * the schema in its own setup.ts) and the flags for the common case. A plugin is enabled by its
 * key being present; the chain order is fixed (see PLUGIN_ORDER), as in CoreDNS.
 *
 * ```yaml
 * listen: 0.0.0.0:53
 * kubernetes: { zone: cluster.local, pods: insecure, ttl: 5 }
 * forward: { upstreams: [192.0.2.53] }
 * cache: {}
 * ```
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { cacheConfigSchema } from './plugins/cache/setup.js';
import { errorsConfigSchema } from './plugins/errors/setup.js';
import { externalConfigSchema } from './plugins/external/setup.js';
import { forwardConfigSchema } from './plugins/forward/setup.js';
import { healthConfigSchema } from './plugins/health/setup.js';
import { kubernetesConfigSchema } from './plugins/kubernetes/setup.js';
import { loadbalanceConfigSchema } from './plugins/loadbalance/setup.js';
import { logConfigSchema } from './plugins/log/setup.js';
import { loopConfigSchema } from './plugins/loop/setup.js';
import { metricsConfigSchema } from './plugins/metrics/setup.js';
import { readyConfigSchema } from './plugins/ready/setup.js';
import { DnsError } from './errors.js';

export const dnsConfigSchema = z.object({
  listen: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'must be ADDRESS:PORT').default('0.0.0.0:53'),
  /** UDP answerers: 1 = the main thread itself; N >= 2 = N worker threads (udp-threads.ts). */
  workers: z.number().int().min(1).max(64).default(2),
  packetCacheSize: z.number().int().nonnegative().default(20000),
  tcpIdleMs: z.number().int().positive().default(10000),
  maxTcpConnections: z.number().int().positive().default(1000),
  errors: errorsConfigSchema.optional(),
  log: logConfigSchema.optional(),
  health: healthConfigSchema.optional(),
  ready: readyConfigSchema.optional(),
  metrics: metricsConfigSchema.optional(),
  loop: loopConfigSchema.optional(),
  loadbalance: loadbalanceConfigSchema.optional(),
  cache: cacheConfigSchema.optional(),
  kubernetes: kubernetesConfigSchema.optional(),
  external: externalConfigSchema.optional(),
  forward: forwardConfigSchema.optional(),
}).strict();
export type DnsConfig = z.infer<typeof dnsConfigSchema>;

/** Chain order, whatever the order in the file. Observers (log, metrics) see every answer. */
export const PLUGIN_ORDER = ['errors', 'metrics', 'log', 'health', 'ready', 'loop', 'loadbalance', 'cache', 'kubernetes', 'external', 'forward'] as const;

/** Validates a config object, listing every problem with its path (`forward.upstreams: ...`). */
export function parseDnsConfig(raw: unknown, source = 'config'): DnsConfig {
  const r = dnsConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new DnsError('DNS_CONFIG_INVALID', `${source}: ${problems.join('; ')}`);
  }
  return r.data;
}

export function loadDnsConfigFile(path: string): DnsConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DnsError('DNS_CONFIG_UNREADABLE', `${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new DnsError('DNS_CONFIG_INVALID', `${path}: not YAML: ${(err as Error).message}`);
  }
  return parseDnsConfig(raw, path);
}

/** The nameservers of a resolv.conf text, as ADDR:53 upstreams. */
export function resolvConfUpstreams(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push(m[1]!.includes(':') ? `[${m[1]!.replace(/%.*$/, '')}]:53` : `${m[1]}:53`);
  }
  return out;
}
