/**
 * `sextant cluster restart <daemon>`: stops one daemon of the cluster (by its recorded PID) and
 * starts it again with the same command line, in the same namespace. How a user (or the
 * end-to-end test) restarts a node agent after killing it or rebuilding sextant.
 */
import { ClusterError } from './errors.js';
import { isRunning, startProcess, stopProcess } from './processes.js';
import { writeState, type ClusterState } from './state.js';

export async function restartDaemon(s: ClusterState, stateFile: string, id: string): Promise<{ before: number; after: number; wasRunning: boolean }> {
  const i = s.processes.findIndex((p) => p.id === id);
  const rec = s.processes[i];
  if (!rec) throw new ClusterError('CLUSTER_UNKNOWN_HOST', `no daemon "${id}": one of ${s.processes.map((p) => p.id).join(', ')}`);
  const wasRunning = isRunning(rec);
  await stopProcess(rec);
  const host = s.layout.hosts.find((h) => h.id === rec.host);
  const next = startProcess({ id: rec.id, host: rec.host, ...(host ? { netns: host.netns } : {}), argv: rec.argv, log: rec.log, env: { SEXTANT_CLUSTER: s.name } });
  s.processes[i] = next;
  writeState(stateFile, s);
  return { before: rec.pid, after: next.pid, wasRunning };
}
