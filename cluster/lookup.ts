/**
 * Lookups other commands make into a running local cluster (e.g. `sextant trace --name C --node
 * N` reads the live rules of that node's namespace).
 */
import { ClusterError } from './errors.js';
import { findHost, STATE_ROOT } from './layout.js';
import { readState, stateFilePath } from './state.js';

/** The network namespace of node `node` (node name or host id) of cluster `name`. */
export function nodeNetns(name: string, node: string, stateRoot = STATE_ROOT): string {
  const s = readState(stateFilePath(stateRoot, name));
  const h = findHost(s.layout, node);
  if (!h || !h.nodeName) {
    throw new ClusterError('CLUSTER_UNKNOWN_HOST', `cluster "${name}" has no node "${node}": one of ${s.layout.hosts.filter((x) => x.nodeName).map((x) => x.nodeName).join(', ')}`);
  }
  return h.netns;
}
