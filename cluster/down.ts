/**
 * `sextant cluster down`: removes exactly what the state file lists. Order: the agents and the
 * other daemons (by PID, start time checked), then every process still living in one of the
 * cluster's namespaces or its pods' namespaces (pods are started by the agents and outlive them on
 * purpose; their namespaces are named from the agents' pod records, see pod-netns.ts), then the
 * pods' namespaces and their /etc/netns files, the host namespaces (their veth ends and the
 * underlay bridge go with them), and last the files and directories. Each removal tolerates
 * "already gone", so `down` also finishes a half-done `up` or an earlier failed `down`.
 */
import { existsSync, rmSync } from 'node:fs';
import { POD_NETNS_PREFIX } from '../node/names.js';
import { pruneServiceAccountPaths } from '../node/service-account-host-paths.js';
import { STATE_ROOT } from './layout.js';
import { deleteNetns } from './netns.js';
import { clusterPodNamespaces } from './pod-netns.js';
import { processesInNetns, stopProcess } from './processes.js';
import { readState, stateFilePath, writeState, type ClusterState } from './state.js';

export interface DownOptions {
  name: string;
  stateRoot?: string;
  out: (line: string) => void;
}

export async function clusterDown(o: DownOptions): Promise<void> {
  const file = stateFilePath(o.stateRoot ?? STATE_ROOT, o.name);
  const s = readState(file);
  // Record the pods' namespaces first: once the node namespaces are gone nothing links them to us.
  const recordPods = async () => {
    for (const ns of await clusterPodNamespaces(s)) if (!s.namespaces.includes(ns)) s.namespaces.push(ns);
    writeState(file, s);
  };
  await recordPods();

  const agents = s.processes.filter((p) => p.id.startsWith('agent/'));
  const others = s.processes.filter((p) => !p.id.startsWith('agent/')).reverse();
  await Promise.all(agents.map((p) => stopProcess(p, 3000)));
  // A pod an agent took on while it was being stopped is in its records by now.
  await recordPods();
  await Promise.all(others.map((p) => stopProcess(p, 5000)));
  const left = processesInNetns(s.namespaces);
  await Promise.all(left.map((p) => stopProcess(p, 2000)));
  o.out(` ✓ stopped ${s.processes.length} daemons and ${left.length} other processes`);

  const pods = s.namespaces.filter((ns) => ns.startsWith(POD_NETNS_PREFIX));
  for (const ns of pods) {
    await deleteNetns(ns);
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  }
  // the pods' token directories are gone: the service-account host paths go too unless another agent or pod still uses them
  await pruneServiceAccountPaths().catch((err: Error) => o.out(` ! service-account host paths: ${err.message}`));
  const hostNamespaces = s.namespaces.filter((ns) => !ns.startsWith(POD_NETNS_PREFIX)).reverse();
  for (const ns of hostNamespaces) await deleteNetns(ns);
  o.out(` ✓ removed ${hostNamespaces.length} host and ${pods.length} pod namespaces`);

  for (const f of s.files) rmSync(f, { force: true });
  for (const d of s.dirs) if (d !== s.layout.stateDir) rmSync(d, { recursive: true, force: true });
  // The state dir (with the state file) goes last: until here a retried `down` can pick up.
  rmSync(s.layout.stateDir, { recursive: true, force: true });
  if (existsSync(file)) rmSync(file, { force: true });
  o.out(` ✓ removed ${s.files.length + s.dirs.length} files and directories`);
}
