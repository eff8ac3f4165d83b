// One netlink scenario run against every Netlink implementation; prints/returns a summary that
// must be identical for the fake, iproute2 and the netlink-package socket.
import { openIpNetlink } from '../../kernel/netlink/ip-command.js';
import { openSocketNetlink } from '../../kernel/netlink/socket.js';
import { NetlinkError, type Netlink } from '../../kernel/netlink/types.js';

export async function scenario(nl: Netlink, podNs: string, pod: Netlink): Promise<Record<string, unknown>> {
  const errors: Record<string, string> = {};
  const expectFail = async (name: string, f: () => Promise<unknown>) => {
    try {
      await f();
      errors[name] = 'succeeded';
    } catch (err) {
      errors[name] = err instanceof NetlinkError ? `${err.kind}@${err.failedOp}` : `unexpected: ${(err as Error).message}`;
    }
  };
  const [bridge] = await nl.apply(
    [
      { op: 'link.add', link: { kind: 'bridge', name: 'br0', mtu: 1450, mac: '02:00:00:00:00:01' } },
      { op: 'link.set', name: 'br0', change: { up: true } },
      { op: 'addr.add', addr: { link: 'br0', cidr: '10.9.0.1/24' } },
      { op: 'addr.replace', addr: { link: 'br0', cidr: '10.9.0.1/24' } },
      { op: 'link.add', link: { kind: 'veth', name: 'v0', mtu: 1450, mac: '02:00:00:00:00:0a', peer: { name: 'p0', mac: '02:00:00:00:00:0b', netnsPath: podNs } } },
      { op: 'link.set', name: 'v0', change: { master: 'br0', up: true } },
      { op: 'link.add', link: { kind: 'vxlan', name: 'vx0', vni: 1, learning: false, mtu: 1450, mac: '02:00:00:00:00:02' } },
      { op: 'link.set', name: 'vx0', change: { up: true } },
      { op: 'addr.add', addr: { link: 'vx0', cidr: '10.10.0.0/32' } },
      { op: 'neigh.replace', neigh: { link: 'vx0', ip: '10.10.1.0', mac: '02:00:00:00:00:03', permanent: true } },
      { op: 'fdb.append', fdb: { link: 'vx0', mac: '02:00:00:00:00:03', dst: '192.0.2.2', permanent: true } },
      { op: 'route.add', route: { dst: '10.10.1.0/24', gw: '10.10.1.0', link: 'vx0', onlink: true } },
    ],
    ['br0'],
  );
  await expectFail('duplicate address', () => nl.apply([{ op: 'addr.add', addr: { link: 'br0', cidr: '10.9.0.1/24' } }]));
  await expectFail('duplicate link', () => nl.apply([{ op: 'link.set', name: 'br0', change: { up: true } }, { op: 'link.add', link: { kind: 'bridge', name: 'br0' } }]));
  await expectFail('missing link', () => nl.apply([{ op: 'link.set', name: 'nosuch0', change: { up: true } }]));
  await expectFail('missing read-back', () => nl.apply([], ['nosuch0']));
  const links = (await nl.listLinks()).filter((l) => ['br0', 'v0', 'vx0'].includes(l.name)).sort((a, b) => a.name.localeCompare(b.name));
  const podLink = await pod.getLink('p0');
  return {
    bridgeReadBack: { name: bridge?.name, kind: bridge?.kind, mac: bridge?.mac },
    links: links.map((l) => ({ name: l.name, kind: l.kind, mtu: l.mtu, up: l.up, master: l.master ?? null })),
    podPeer: podLink ? { mac: podLink.mac, mtu: podLink.mtu } : null,
    addresses: (await nl.listAddresses()).filter((a) => a.link !== 'lo').sort((a, b) => a.cidr.localeCompare(b.cidr)),
    routes: (await nl.listRoutes()).filter((r) => r.dst === '10.10.1.0/24'),
    neighbours: await nl.listNeighbours('vx0'),
    fdb: await nl.listFdb('vx0'),
    errors,
  };
}

// Run as a child inside a namespace: `netlink-scenario.ts <ip|socket> <podNsPath>`.
if (process.argv[1]?.endsWith('netlink-scenario.ts')) {
  const [impl, podNs] = process.argv.slice(2) as [string, string];
  const nl = impl === 'socket' ? await openSocketNetlink() : openIpNetlink();
  const summary = await scenario(nl, podNs, openIpNetlink(podNs));
  nl.close();
  process.stdout.write(JSON.stringify(summary));
}
