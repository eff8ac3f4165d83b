/**
 * `sextant cluster exec <host> -- CMD`: runs CMD inside a host's network namespace — `outside`,
 * a node (by node name or host id), or `pod/<name>` (with `-n NAMESPACE`). Always through
 * `ip netns exec`, which also bind-mounts `/etc/netns/<ns>/resolv.conf`: a pod's command sees the
 * pod's resolver (cluster DNS and its search path), as the pod's own processes do.
 */
import { spawn } from 'node:child_process';
import { KINDS, isApiError, type Pod } from '../controller/api/index.js';
import { podNetnsName } from '../node/names.js';
import { clusterClient } from './api.js';
import { ClusterError } from './errors.js';
import { findHost } from './layout.js';
import { netnsExists } from './netns.js';
import type { ClusterState } from './state.js';

/** The namespace a `cluster exec` target names. */
export async function resolveTarget(s: ClusterState, target: string, namespace: string): Promise<string> {
  if (target.startsWith('pod/')) {
    const name = target.slice(4);
    const client = clusterClient(s);
    if (!client) throw new ClusterError('CLUSTER_UNKNOWN_HOST', 'the cluster API is not reachable (no forwarder)');
    try {
      const pod = await client.get<Pod>(KINDS.Pod, namespace, name);
      const ns = podNetnsName(pod.metadata.uid ?? '');
      if (!netnsExists(ns)) throw new ClusterError('CLUSTER_UNKNOWN_HOST', `pod ${namespace}/${name} has no network namespace yet (${pod.status?.phase ?? 'Pending'} on ${pod.spec?.nodeName ?? 'no node'})`);
      return ns;
    } catch (err) {
      if (isApiError(err, 'NotFound')) throw new ClusterError('CLUSTER_UNKNOWN_HOST', `pod ${namespace}/${name} not found`);
      throw err;
    } finally {
      client.close();
    }
  }
  const h = findHost(s.layout, target);
  if (!h) {
    const names = s.layout.hosts.map((x) => x.nodeName ?? 'outside');
    throw new ClusterError('CLUSTER_UNKNOWN_HOST', `unknown host "${target}": one of ${names.join(', ')}, or pod/<name> [-n namespace]`);
  }
  return h.netns;
}

/** Runs argv in the namespace with the terminal attached; resolves with its exit code. */
export function execIn(netns: string, argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: 'inherit' });
    child.on('error', () => resolve(127));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
  });
}
