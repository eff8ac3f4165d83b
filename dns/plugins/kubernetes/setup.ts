import { z } from 'zod';
import type { SetupContext } from '../../plugin-context.js';
import { normalizeName } from '../../chain.js';
import { RecordIndex } from './record-index.js';
import { kubernetesPlugin } from './handler.js';

/** The `kubernetes` block of the config file (CoreDNS's kubeadm defaults, TTL 5 s). */
export const kubernetesConfigSchema = z.object({
  zone: z.string().regex(/^[a-zA-Z0-9.-]+\.?$/, 'must be a domain name').default('cluster.local'),
  reverseZones: z.array(z.string()).default(['in-addr.arpa', 'ip6.arpa']),
  fallthrough: z.array(z.string()).default(['in-addr.arpa', 'ip6.arpa']),
  pods: z.enum(['disabled', 'insecure', 'verified']).default('insecure'),
  ttl: z.number().int().min(0).max(3600).default(5),
  kubeconfig: z.string().optional(),
  /** CoreDNS's endpoint_pod_names: endpoints without a hostname are named after their Pod. */
  endpointPodNames: z.boolean().default(false),
}).strict();
export type KubernetesConfig = z.infer<typeof kubernetesConfigSchema>;

/** Creates the index and the plugin; the caller feeds the index (informers or a fixture). */
export function setupKubernetes(cfg: KubernetesConfig, ctx: SetupContext, synced: () => boolean) {
  const index = new RecordIndex({ zone: normalizeName(cfg.zone), ttl: cfg.ttl, endpointPodNames: cfg.endpointPodNames });
  index.onChange(ctx.invalidate);
  const plugin = kubernetesPlugin({ index, reverseZones: cfg.reverseZones.map(normalizeName), fallthrough: cfg.fallthrough.map(normalizeName), pods: cfg.pods, synced });
  return { index, plugin };
}
