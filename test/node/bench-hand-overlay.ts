/**
 * The reference for the overlay benchmark's pod path, built by hand with iproute2 in the same two
 * node namespaces of the bench cluster (same underlay, same node netfilter rules), with no Sextant
 * code: per node a "pod" namespace whose veth ends on a node bridge, the bridge's gateway address,
 * IP forwarding through the node, and a kernel VXLAN device with a permanent neighbour, FDB entry
 * and onlink route to the peer's subnet — the same hops as a Sextant pod, flannel-style. What the
 * Sextant pod path costs beyond this is what Sextant adds; what this costs beyond the bare VXLAN
 * link is the price of the veth + bridge + forwarding hops themselves.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execP = promisify(execFile);
const ip = async (...argv: string[]) => (await execP('ip', argv, { timeout: 30_000 })).stdout;

export interface HandNode {
  netns: string;
  /** Underlay address and the device that carries it. */
  ip: string;
  device: string;
}

export interface HandOverlay {
  /** Namespace of the "pod" on the first node and its address (iperf3 server side). */
  podA: { netns: string; ip: string };
  /** Namespace of the "pod" on the second node (client side). */
  podB: { netns: string; ip: string };
  down(): Promise<void>;
}

const BR = 'sx-hbr';
const VX = 'sx-hvx';
const VNI = 4243;
const PORT = 4790;

export async function handOverlay(nodes: readonly [HandNode, HandNode], mtu: number, subnetPrefix = '10.251'): Promise<HandOverlay> {
  const tag = randomBytes(2).toString('hex');
  const pods = [`sx-hand-${tag}-a`, `sx-hand-${tag}-b`] as const;
  const macs: string[] = [];
  const created: string[] = [];
  const down = async () => {
    for (const p of created) await ip('netns', 'del', p).catch(() => undefined);
    for (const n of nodes) for (const dev of [VX, BR]) await ip('-n', n.netns, 'link', 'del', dev).catch(() => undefined);
  };
  try {
    for (const [i, n] of nodes.entries()) {
      const net = `${subnetPrefix}.${i + 1}`;
      const pod = pods[i]!;
      await ip('netns', 'add', pod);
      created.push(pod);
      await ip('-n', pod, 'link', 'set', 'lo', 'up');
      await ip('-n', n.netns, 'link', 'add', BR, 'mtu', String(mtu), 'type', 'bridge');
      await ip('-n', n.netns, 'addr', 'add', `${net}.1/24`, 'dev', BR);
      await ip('-n', n.netns, 'link', 'set', BR, 'up');
      // the node end is named after the pod: deleting the pod namespace deletes the pair
      await ip('-n', n.netns, 'link', 'add', `sx-hv${tag}${i}`, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod);
      await ip('-n', n.netns, 'link', 'set', `sx-hv${tag}${i}`, 'master', BR, 'up');
      await ip('-n', pod, 'addr', 'add', `${net}.2/24`, 'dev', 'eth0');
      await ip('-n', pod, 'link', 'set', 'eth0', 'up');
      await ip('-n', pod, 'route', 'add', 'default', 'via', `${net}.1`);
      await ip('-n', n.netns, 'link', 'add', VX, 'mtu', String(mtu), 'type', 'vxlan', 'id', String(VNI), 'dstport', String(PORT), 'local', n.ip, 'dev', n.device, 'nolearning');
      await ip('-n', n.netns, 'addr', 'add', `${net}.0/32`, 'dev', VX);
      await ip('-n', n.netns, 'link', 'set', VX, 'up');
      const [link] = JSON.parse(await ip('-n', n.netns, '-j', 'link', 'show', VX)) as { address: string }[];
      macs.push(link!.address);
    }
    for (const [i, n] of nodes.entries()) {
      const j = 1 - i;
      const peerNet = `${subnetPrefix}.${j + 1}`;
      await ip('-n', n.netns, 'neigh', 'add', `${peerNet}.0`, 'lladdr', macs[j]!, 'dev', VX, 'nud', 'permanent');
      await execP('bridge', ['-n', n.netns, 'fdb', 'add', macs[j]!, 'dev', VX, 'dst', nodes[j]!.ip, 'self', 'permanent'], { timeout: 30_000 });
      await ip('-n', n.netns, 'route', 'add', `${peerNet}.0/24`, 'via', `${peerNet}.0`, 'dev', VX, 'onlink');
    }
    return { podA: { netns: pods[0], ip: `${subnetPrefix}.1.2` }, podB: { netns: pods[1], ip: `${subnetPrefix}.2.2` }, down };
  } catch (err) {
    await down();
    throw err;
  }
}
