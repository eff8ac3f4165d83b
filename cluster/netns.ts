/**
 * Network namespace plumbing for the local cluster, through iproute2. Every command either
 * creates a namespace or runs inside one the cluster created (`ip -n NS ...`, `ip netns exec`):
 * nothing here touches the machine's own network namespace.
 */
import { existsSync, statSync } from 'node:fs';
import { runTool, ToolError } from '../kernel/exec-tool.js';
import { ClusterError } from './errors.js';

export const NETNS_DIR = '/run/netns';
export const netnsPath = (name: string): string => `${NETNS_DIR}/${name}`;
export const netnsExists = (name: string): boolean => existsSync(netnsPath(name));

/** Runs `ip ARGS`, turning a failure into CLUSTER_HOST_SETUP with iproute2's message. */
export async function ip(...args: string[]): Promise<string> {
  try {
    return (await runTool('ip', args)).stdout;
  } catch (err) {
    if (err instanceof ToolError) throw new ClusterError('CLUSTER_HOST_SETUP', `ip ${args.join(' ')}: ${err.stderr.trim()}`, { cause: err });
    throw err;
  }
}

/** Runs a tool inside namespace `ns` (`ip netns exec`). */
export async function nsRun(ns: string, ...argv: string[]): Promise<string> {
  return ip('netns', 'exec', ns, ...argv);
}

/** Creates the namespace with loopback up. */
export async function createNetns(name: string): Promise<void> {
  await ip('netns', 'add', name);
  await ip('-n', name, 'link', 'set', 'lo', 'up');
}

/** Deletes the namespace; a missing one is fine (idempotent for `cluster down`). */
export async function deleteNetns(name: string): Promise<void> {
  if (!netnsExists(name)) return;
  try {
    await runTool('ip', ['netns', 'del', name]);
  } catch (err) {
    if (netnsExists(name)) throw new ClusterError('CLUSTER_HOST_SETUP', `ip netns del ${name}: ${(err as Error).message}`, { cause: err });
  }
}

/** The kernel identity (device:inode) of a named namespace, to find processes living in it. */
export function netnsIdentity(name: string): string | undefined {
  try {
    const s = statSync(netnsPath(name));
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Named namespaces linked to `ns` by a veth pair (iproute2 resolves the peer's nsid to its
 * /run/netns name). On a node host those are the pods' namespaces and the underlay.
 */
export async function linkedNetns(ns: string): Promise<string[]> {
  if (!netnsExists(ns)) return [];
  let out: string;
  try {
    out = (await runTool('ip', ['-n', ns, 'netns', 'list-id'])).stdout;
  } catch {
    return [];
  }
  return [...out.matchAll(/iproute2 netns name: ([^\s)]+)/g)].map((m) => m[1]!);
}

/** IPv4 addresses (without prefix) on `dev` in `ns`; empty when the device is missing. */
export async function addressesOf(ns: string, dev: string): Promise<string[]> {
  try {
    const out = (await runTool('ip', ['-n', ns, '-4', '-o', 'addr', 'show', 'dev', dev])).stdout;
    return [...out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!);
  } catch {
    return [];
  }
}
