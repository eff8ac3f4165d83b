/**
 * `sextant dns`: the cluster DNS server. Flags cover the common case (the CoreDNS default
 * Corefile: errors, health, ready, kubernetes, metrics, cache, loop, forward, loadbalance);
 * `--config FILE` gives full control (see config.ts). `--workers N` (default 2) runs N UDP
 * worker threads sharing the UDP socket in this one process; see udp-threads.ts.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { defineCommand } from '../daemon/command.js';
import { flagTypes } from '../daemon/flags.js';
import { createLogger } from '../daemon/logger.js';
import { onShutdown } from '../daemon/shutdown.js';
import { loadDnsConfigFile, parseDnsConfig, resolvConfUpstreams, type DnsConfig } from './config.js';
import { DnsError } from './errors.js';
import { startDnsInstance } from './instance.js';
import { missingLaunchSettings } from './launch.js';

const flags = {
  kubeconfig: { help: 'kubeconfig of the API server to watch (default $KUBECONFIG or ~/.kube/config)', schema: z.string().optional() },
  listen: { help: 'UDP and TCP address to serve DNS on', schema: flagTypes.hostPort().default('0.0.0.0:53') },
  'cluster-domain': { help: 'the cluster zone', schema: z.string().regex(/^[a-zA-Z0-9.-]+$/, 'must be a domain name').default('cluster.local') },
  upstream: { help: 'upstream resolvers ADDR[:PORT],... (default: nameservers of /etc/resolv.conf)', schema: flagTypes.list().optional() },
  ttl: { help: 'TTL of cluster records, seconds', schema: z.coerce.number().int().min(0, 'must be 0-3600').max(3600, 'must be 0-3600').default(5) },
  config: { help: 'YAML config file (replaces the flags below except --kubeconfig)', schema: z.string().optional() },
  'metrics-listen': { help: 'Prometheus /metrics address', schema: z.string().default('127.0.0.1:9153') },
  'health-listen': { help: '/health address', schema: z.string().default('127.0.0.1:8080') },
  'ready-listen': { help: '/ready address', schema: z.string().default('127.0.0.1:8181') },
  pods: { help: 'pod records: disabled, insecure or verified', schema: z.enum(['disabled', 'insecure', 'verified'], { message: 'must be disabled, insecure or verified' }).default('insecure') },
  'external-zone': { help: 'zone for the external plugin (<svc>.<ns>.<zone> → external IPs)', schema: z.string().optional() },
  workers: { help: 'UDP answerers: 1 = the main thread; N >= 2 = N worker threads sharing the UDP socket', schema: z.coerce.number().int().min(1, 'must be 1-64').max(64, 'must be 1-64').default(2) },
  'endpoint-pod-names': { help: 'name headless endpoints without a hostname after their Pod (CoreDNS endpoint_pod_names)', schema: z.boolean().default(false), boolean: true },
  'log-queries': { help: 'log every query (the log plugin)', schema: z.boolean().default(false), boolean: true },
  lameduck: { help: 'keep serving this long after SIGTERM', schema: flagTypes.duration().prefault('5s') },
};

/** The config the flags describe. */
export function configFromFlags(f: {
  kubeconfig?: string | undefined; listen: string; clusterDomain: string; upstream?: string[] | undefined; ttl: number;
  metricsListen: string; healthListen: string; readyListen: string; pods: 'disabled' | 'insecure' | 'verified';
  externalZone?: string | undefined; workers: number; logQueries: boolean; lameduck: number; endpointPodNames?: boolean;
}, resolvConf: () => string): DnsConfig {
  const upstreams = f.upstream ?? resolvConfUpstreams(resolvConf());
  return parseDnsConfig({
    listen: f.listen, workers: f.workers,
    errors: {}, health: { listen: f.healthListen, lameduckMs: f.lameduck }, ready: { listen: f.readyListen },
    metrics: { listen: f.metricsListen }, loop: {}, loadbalance: {}, cache: {},
    ...(f.logQueries ? { log: {} } : {}),
    kubernetes: { zone: f.clusterDomain, pods: f.pods, ttl: f.ttl, endpointPodNames: f.endpointPodNames === true, ...(f.kubeconfig ? { kubeconfig: f.kubeconfig } : {}) },
    ...(f.externalZone ? { external: { zone: f.externalZone, ttl: f.ttl } } : {}),
    ...(upstreams.length > 0 ? { forward: { upstreams } } : {}),
  }, 'flags');
}

export default defineCommand({
  name: 'dns',
  usage: 'sextant dns [flags]',
  summary: 'Serve the cluster DNS zone (Kubernetes DNS spec 1.1.0) and forward the rest, CoreDNS-style.',
  flags,
  async run(f) {
    const log = createLogger('dns');
    let cfg: DnsConfig;
    try {
      cfg = f.config ? loadDnsConfigFile(f.config) : configFromFlags(f, () => { try { return readFileSync('/etc/resolv.conf', 'utf8'); } catch { return ''; } });
      if (f.config && f.kubeconfig && cfg.kubernetes) cfg.kubernetes.kubeconfig = f.kubeconfig;
    } catch (err) {
      process.stderr.write(`sextant dns: ${(err as Error).message}\n`);
      return 2;
    }
    const missing = missingLaunchSettings(process.execArgv, process.env);
    if (missing.length > 0) log.warn('started without the launch settings of dns/launch.ts: more memory than measured (see dns/README.md, Memory)', { code: 'DNS_LAUNCH_SETTINGS', missing });
    if (!cfg.forward) log.warn('no upstreams: names outside the cluster zone are answered REFUSED', { code: 'DNS_NO_UPSTREAMS' });
    const onLoop = () => {
      log.error(new DnsError('DNS_LOOP_DETECTED', 'forwarding to itself; fix the upstreams (e.g. not 127.0.0.53)').message);
      process.exit(1);
    };
    try {
      const inst = await startDnsInstance(cfg, { log, source: 'watch', onLoop });
      log.info('serving', { listen: cfg.listen, port: inst.server.port, plugins: inst.plugins.map((p) => p.name), http: inst.ports() });
      onShutdown(log, () => inst.stop());
      await new Promise(() => {});
    } catch (err) {
      process.stderr.write(`sextant dns: ${(err as Error).message}\n`);
      return 1;
    }
  },
});
