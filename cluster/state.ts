/**
 * The cluster's state file (`/run/sextant/<name>/state.json`): the layout plus everything
 * `cluster up` actually made — namespaces, processes (PID and kernel start time, so a reused PID
 * is never signalled), files and directories — written atomically after every step. `cluster
 * down` removes exactly what it lists, also after `cluster up` crashed half-way.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ClusterError } from './errors.js';
import type { ClusterLayout } from './layout.js';

const hostSchema = z.object({
  id: z.string(),
  role: z.enum(['control-plane', 'worker', 'outside']),
  netns: z.string(),
  ip: z.string(),
  nodeName: z.string().optional(),
  underlayPort: z.string(),
});

export const processRecordSchema = z.object({
  /** `server`, `forwarder`, `agent/<node>`. */
  id: z.string(),
  /** Host id whose namespace it runs in; `root` for the machine's own namespace. */
  host: z.string(),
  pid: z.number().int().positive(),
  /** Field 22 of /proc/PID/stat: tells this process from a later one with the same PID. */
  startTime: z.string(),
  argv: z.array(z.string()),
  log: z.string(),
});
export type ProcessRecord = z.infer<typeof processRecordSchema>;

export const stateSchema = z.object({
  version: z.literal(1),
  name: z.string(),
  createdAt: z.string(),
  layout: z.object({
    name: z.string(),
    subnet: z.string(),
    prefixLength: z.number().int(),
    underlayNetns: z.string(),
    bridge: z.string(),
    hosts: z.array(hostSchema),
    clusterCIDR: z.string(),
    serviceCIDR: z.string(),
    dnsServiceIP: z.string(),
    apiServerPort: z.number().int(),
    stateDir: z.string(),
    dataDir: z.string(),
  }),
  /** Namespaces this cluster created, in creation order. */
  namespaces: z.array(z.string()),
  processes: z.array(processRecordSchema),
  /** Files outside the state and data dirs that this cluster wrote (e.g. `--kubeconfig FILE`). */
  files: z.array(z.string()),
  /** Directories this cluster created and removes recursively. */
  dirs: z.array(z.string()),
  /** Loopback port of the API forwarder in the root namespace. */
  apiPort: z.number().int().nullable(),
  kubeconfig: z.string().nullable(),
  /** How `cluster up` ran sextant (node binary + script), reused for restarts. */
  sextant: z.object({ node: z.string(), script: z.string() }),
});
export type ClusterState = z.infer<typeof stateSchema>;

export function newState(layout: ClusterLayout, sextant: ClusterState['sextant']): ClusterState {
  return {
    version: 1,
    name: layout.name,
    createdAt: new Date().toISOString(),
    layout,
    namespaces: [],
    processes: [],
    files: [],
    dirs: [],
    apiPort: null,
    kubeconfig: null,
    sextant,
  };
}

export const stateFilePath = (stateRoot: string, name: string): string => `${stateRoot}/${name}/state.json`;

/** Atomic write (temp file + rename): a crash leaves the previous or the new state, never half. */
export function writeState(path: string, s: ClusterState): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/** Reads and validates; CLUSTER_NOT_FOUND when missing, CLUSTER_STATE_INVALID naming the field. */
export function readState(path: string): ClusterState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ClusterError('CLUSTER_NOT_FOUND', `no cluster state at ${path} (is the cluster up? see \`sextant cluster status\`)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ClusterError('CLUSTER_STATE_INVALID', `${path}: not JSON: ${(err as Error).message}`);
  }
  const r = stateSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ClusterError('CLUSTER_STATE_INVALID', `${path}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}
