/**
 * The pods' network namespaces of one cluster, by exact name: `sx-pod-<hash of the pod UID>` for
 * every pod an agent of the cluster recorded in its state dir (`pods/<uid>.json`, written before
 * the agent makes the namespace, so a pod whose CNI ADD never ran or failed is found too), plus
 * the ones veth-linked to the cluster's node hosts. Names are derived from this cluster's own
 * records, never matched by prefix, so another cluster's pods on the same machine stay untouched.
 */
import { readdirSync } from 'node:fs';
import { podNetnsName, POD_NETNS_PREFIX } from '../node/names.js';
import { clusterPaths } from './layout.js';
import { linkedNetns } from './netns.js';
import type { ClusterState } from './state.js';

/** Pod UIDs an agent recorded in `stateDir` (`pods/<uid>.json` and `pods/<uid>.exit/`). */
export function recordedPodUids(stateDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(`${stateDir}/pods`);
  } catch {
    return [];
  }
  const uids = new Set<string>();
  for (const n of names) {
    const m = /^(.+)\.(json|exit)$/.exec(n);
    if (m) uids.add(m[1]!);
  }
  return [...uids];
}

/** Every pod namespace name of the cluster (whether it still exists or not). */
export async function clusterPodNamespaces(s: Pick<ClusterState, 'layout'>): Promise<string[]> {
  const found = new Set<string>();
  const paths = clusterPaths(s.layout);
  for (const h of s.layout.hosts) {
    if (!h.nodeName) continue;
    for (const uid of recordedPodUids(paths.nodeAgentState(h.nodeName))) found.add(podNetnsName(uid));
    for (const ns of await linkedNetns(h.netns)) if (ns.startsWith(POD_NETNS_PREFIX)) found.add(ns);
  }
  return [...found];
}
