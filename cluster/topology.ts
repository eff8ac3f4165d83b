/**
 * Builds the hosts of a layout from namespaces: the underlay "switch" (a bridge in its own
 * namespace), then each host namespace joined to it by a veth pair whose host end is `eth0`.
 * Links are created from inside the underlay namespace with the peer placed directly in the
 * host's namespace, so the machine's own namespace never holds them, not even for a moment.
 * `record` is called before each namespace is created, so the state file lists it even if the
 * next command fails.
 */
import { createNetns, ip, nsRun } from './netns.js';
import type { ClusterLayout, HostLayout } from './layout.js';

export async function buildUnderlay(l: ClusterLayout, record: (netns: string) => void): Promise<void> {
  record(l.underlayNetns);
  await createNetns(l.underlayNetns);
  await ip('-n', l.underlayNetns, 'link', 'add', l.bridge, 'type', 'bridge');
  await ip('-n', l.underlayNetns, 'link', 'set', l.bridge, 'up');
}

export async function buildHost(l: ClusterLayout, h: HostLayout, record: (netns: string) => void): Promise<void> {
  const gateway = l.hosts.find((x) => x.role === 'outside')!;
  record(h.netns);
  await createNetns(h.netns);
  await ip('-n', l.underlayNetns, 'link', 'add', h.underlayPort, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.netns);
  await ip('-n', l.underlayNetns, 'link', 'set', h.underlayPort, 'master', l.bridge, 'up');
  await ip('-n', h.netns, 'addr', 'add', `${h.ip}/${l.prefixLength}`, 'dev', 'eth0');
  await ip('-n', h.netns, 'link', 'set', 'eth0', 'up');
  if (h.role !== 'outside') {
    // A node routes for its pods; pods' traffic to other subnets leaves through the underlay.
    await nsRun(h.netns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    // Nodes need a default route, as on a LAN: a ClusterIP (10.96.0.10) is routed before the
    // proxy's DNAT rewrites it. The `outside` host plays the gateway; it forwards nothing.
    await ip('-n', h.netns, 'route', 'add', 'default', 'via', gateway.ip, 'dev', 'eth0');
  }
}
