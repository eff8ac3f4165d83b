import { performance } from 'node:perf_hooks';
import type { Pod } from '../controller/api/index.js';
import type { Attachment } from './cni-runtime.js';
import { hostsFile, resolvConf } from './pod-files.js';
import type { PodRecord } from './pod-state.js';
import type { PodHost } from './pod-worker.js';

type SandboxHost = Pick<PodHost, 'cni' | 'netns' | 'writePodFiles' | 'removePodFiles' | 'serviceAccounts' | 'settings' | 'log'>;

/** The pod's CNI attachment: its sandbox ID, `/run/netns/<ns>`, `eth0`, and the pod's identity for `K8S_POD_*`. */
export const podAttachment = (r: PodRecord, netns: string): Attachment => ({
  containerId: r.sandboxId,
  netnsPath: `/run/netns/${netns}`,
  ifName: 'eth0',
  pod: { namespace: r.namespace, name: r.name, uid: r.uid },
});

/**
 * Makes (or completes) the pod's sandbox, as a runtime's RunPodSandbox: the network namespace,
 * CNI ADD (or the cached result of an earlier ADD), resolv.conf and hosts, and — concurrently,
 * as it does not depend on the network — the service-account token. Sets `record.podIp`.
 * Returns the time each stage took (ms) for the "pod sandbox ready" log line.
 */
export async function setUpSandbox(host: SandboxHost, pod: Pod, record: PodRecord, netns: string): Promise<Record<string, number>> {
  const t0 = performance.now();
  const took: Record<string, number> = {};
  const lap = (k: string, since: number) => (took[k] = Math.round(performance.now() - since));
  const tokenStart = performance.now();
  const token = host.serviceAccounts?.ensure(pod, netns).then(() => void lap('serviceAccountMs', tokenStart));
  token?.catch(() => undefined);
  const attachment = podAttachment(record, netns);
  if (!host.netns.exists(netns)) {
    // Only an attachment that existed before (a record with an IP, or a cached ADD result) can
    // have left anything to release; a new pod skips a DEL through the whole chain (two plugin
    // execs on its start path). An ADD interrupted before its result was cached is rolled back
    // by the next ADD's failure path ("duplicate allocation" → DEL → retry).
    const stale = record.podIp !== undefined || host.cni.cached(attachment) !== undefined;
    record.podIp = undefined;
    if (stale) await host.cni.del(attachment).catch(() => undefined);
    const t = performance.now();
    await host.netns.add(netns);
    lap('netnsMs', t);
  }
  if (!record.podIp) {
    const cached = host.cni.cached(attachment);
    const t = performance.now();
    const ips = cached ? ((cached.result.ips ?? []) as { address?: string }[]).map((i) => i.address ?? '') : (await host.cni.add(attachment)).ips;
    if (!cached) lap('cniAddMs', t);
    const ip = ips.find(Boolean)?.split('/')[0];
    if (!ip) throw new Error('CNI ADD returned no IP address');
    record.podIp = ip;
  }
  const s = host.settings;
  host.writePodFiles(netns, {
    'resolv.conf': resolvConf(pod, { clusterDns: s.clusterDns, clusterDomain: s.clusterDomain, hostResolvConf: s.hostResolvConf }),
    hosts: hostsFile(pod, record.podIp, s.clusterDomain),
  });
  await token;
  took.totalMs = Math.round(performance.now() - t0);
  return took;
}

/**
 * Removes the sandbox once its containers are gone: CNI DEL (retried once; the IP is released
 * here), the network namespace, the token renewal and the pod's /etc/netns files.
 */
export async function tearDownSandbox(host: SandboxHost, record: PodRecord, netns: string): Promise<void> {
  const who = `${record.namespace}/${record.name}`;
  const attachment = podAttachment(record, netns);
  try {
    await host.cni.del(attachment);
  } catch (err) {
    host.log.warn('CNI DEL failed; retrying once', { pod: who, error: (err as Error).message });
    await new Promise((r) => setTimeout(r, 500));
    await host.cni.del(attachment).catch((e: Error) => host.log.error('CNI DEL failed', { pod: who, error: e.message }));
  }
  await host.netns.del(netns).catch((e: Error) => host.log.warn('netns removal failed', { pod: who, error: e.message }));
  host.serviceAccounts?.forget(netns);
  host.removePodFiles(netns);
}
