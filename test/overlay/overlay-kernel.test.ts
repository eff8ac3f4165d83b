/**
 * The overlay engine against the real kernel in a node namespace of our own (iproute2 netlink,
 * iptables, sysctl), driven by a Node list we control: the device is made as specified, the
 * entries equal the peer set, a peer's MAC or address change replaces its entries, a removed peer
 * loses them, a deleted device comes back with the same MAC, and a restart — a new engine on the
 * same namespace — changes nothing that is right and purges what went stale while it was down.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Node } from '../../controller/api/index.js';
import { NodeList } from './node-list.js';
import { cleanupOverlay } from '../../cni/overlay/cleanup.js';
import { Overlay } from '../../cni/overlay/overlay.js';
import { ANNOTATION_PUBLIC_IP, ANNOTATION_VTEP_MAC } from '../../cni/overlay/names.js';
import { createLogger } from '../../daemon/logger.js';
import { createIptables } from '../../kernel/iptables.js';
import { openIpNetlink } from '../../kernel/netlink/ip-command.js';
import { readVxlanAttributes } from '../../kernel/netlink/vxlan-info.js';
import { realSysctl } from '../../kernel/sysctl.js';

const execP = promisify(execFile);
const NS = `sx-ovk-${randomBytes(3).toString('hex')}`;
const NS_PATH = `/run/netns/${NS}`;
const DIR = mkdtempSync(join(tmpdir(), 'sx-overlay-kernel-'));
const DEV = 'sx-vxlan.1';
const ip = async (...args: string[]) => (await execP('ip', ['netns', 'exec', NS, ...args])).stdout;

const node = (name: string, podCIDR: string, mac: string | undefined, publicIp: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, annotations: { ...(mac ? { [ANNOTATION_VTEP_MAC]: mac, [ANNOTATION_PUBLIC_IP]: publicIp } : {}) } },
  spec: { podCIDR },
  status: { addresses: [{ type: 'InternalIP', address: publicIp }] },
});

function engine(nodes: NodeList, patches: unknown[]): Overlay {
  return new Overlay(
    { nodeName: 'self', network: '10.244.0.0/16', vni: 1, port: 8472, directRouting: false, subnetFile: join(DIR, 'subnet.env'), masquerade: true, reconcilePeriodMs: 3_600_000, netnsPath: NS_PATH },
    {
      netlink: openIpNetlink(NS_PATH),
      readVxlan: (name) => readVxlanAttributes(NS_PATH, name),
      iptables: createIptables({ mode: 'nft', netns: NS }),
      sysctl: realSysctl,
      nodes,
      patchNode: async (_name, patch) => {
        patches.push(patch);
        const self = nodes.get(undefined, 'self')!;
        const ann = (patch as { metadata: { annotations: Record<string, string> } }).metadata.annotations;
        nodes.put({ ...self, metadata: { ...self.metadata, annotations: { ...self.metadata.annotations, ...ann } } });
        return undefined;
      },
      log: createLogger('overlay-test', { silent: true }),
    },
  );
}

async function entries() {
  const neigh = JSON.parse(await ip('ip', '-j', 'neigh', 'show', 'dev', DEV)) as { dst: string; lladdr?: string; state?: string[] }[];
  const fdb = JSON.parse(await ip('bridge', '-j', 'fdb', 'show', 'dev', DEV)) as { mac: string; dst?: string }[];
  const routes = JSON.parse(await ip('ip', '-j', 'route', 'show')) as { dst: string; gateway?: string; dev: string; flags?: string[] }[];
  return {
    neighbours: neigh.filter((n) => n.lladdr).map((n) => `${n.dst} ${n.lladdr} ${(n.state ?? []).join(',')}`).sort(),
    fdb: fdb.filter((f) => f.dst).map((f) => `${f.mac} ${f.dst}`).sort(),
    routes: routes.filter((r) => r.gateway).map((r) => `${r.dst} via ${r.gateway} dev ${r.dev}${(r.flags ?? []).includes('onlink') ? ' onlink' : ''}`).sort(),
  };
}
const device = async () => (JSON.parse(await ip('ip', '-4', '-j', '-d', 'addr', 'show', DEV)) as { ifindex: number; address: string; mtu: number; addr_info: { local: string; prefixlen: number }[]; linkinfo: { info_data: { id: number; port: number; learning: boolean; local: string } } }[])[0]!;
const want = (peers: [string, string, string][]) => ({
  neighbours: peers.map(([cidr, mac]) => `${cidr.replace(/\/\d+$/, '')} ${mac} PERMANENT`).sort(),
  fdb: peers.map(([, mac, pub]) => `${mac} ${pub}`).sort(),
  routes: peers.map(([cidr]) => `${cidr} via ${cidr.replace(/\/\d+$/, '')} dev ${DEV} onlink`).sort(),
});
async function until(what: string, f: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}
const sameEntries = async (w: ReturnType<typeof want>) => JSON.stringify(await entries()) === JSON.stringify(w);

describe('overlay engine on the real kernel (own namespace)', { timeout: 120_000 }, () => {
  const nodes = new NodeList();
  const patches: unknown[] = [];
  let ov: Overlay | undefined;
  const B: [string, string, string] = ['10.244.2.0/24', '02:00:00:00:00:0b', '172.30.0.12'];
  const C: [string, string, string] = ['10.244.3.0/24', '02:00:00:00:00:0c', '172.30.0.13'];

  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('test/overlay needs root (network namespaces)');
    await execP('ip', ['netns', 'add', NS]);
    await ip('ip', 'link', 'set', 'lo', 'up');
    // the underlay: a veth whose peer stays in the namespace too (no traffic leaves it)
    await ip('ip', 'link', 'add', 'ul0', 'mtu', '1400', 'type', 'veth', 'peer', 'name', 'ul1');
    await ip('ip', 'addr', 'add', '172.30.0.11/24', 'dev', 'ul0');
    await ip('ip', 'link', 'set', 'ul0', 'up');
    await ip('ip', 'link', 'set', 'ul1', 'up');
    nodes.put(node('self', '10.244.1.0/24', undefined, '172.30.0.11'));
    nodes.put(node('b', ...B));
  });
  after(async () => {
    await ov?.stop();
    await execP('ip', ['netns', 'del', NS]).catch(() => undefined);
    rmSync(DIR, { recursive: true, force: true });
  });

  it('creates the device as specified, publishes it, writes the subnet file and programs the peer', async () => {
    ov = engine(nodes, patches);
    await ov.start();
    const d = await device();
    assert.deepEqual([d.linkinfo.info_data.id, d.linkinfo.info_data.port, d.linkinfo.info_data.learning, d.linkinfo.info_data.local, d.mtu], [1, 8472, false, '172.30.0.11', 1350], 'VNI 1, port 8472, learning off, local = node IP, MTU = underlay − 50');
    assert.deepEqual(d.addr_info.map((a) => `${a.local}/${a.prefixlen}`), ['10.244.1.0/32']);
    const ann = nodes.get(undefined, 'self')!.metadata.annotations!;
    assert.equal(ann[ANNOTATION_VTEP_MAC], d.address, 'VTEP MAC published');
    assert.equal(ann[ANNOTATION_PUBLIC_IP], '172.30.0.11');
    assert.match(readFileSync(join(DIR, 'subnet.env'), 'utf8'), /SEXTANT_SUBNET=10\.244\.1\.1\/24[\s\S]*SEXTANT_MTU=1350/);
    assert.deepEqual(await entries(), want([B]));
    assert.equal((await ip('iptables-save', '-t', 'filter')).match(/-j SX-OVERLAY-FWD/g)?.length, 1, 'one FORWARD jump');
  });

  it('follows the Node watch: a new peer, a MAC and address change, a removed peer', async () => {
    nodes.put(node('c', ...C));
    await until('peer c programmed', () => sameEntries(want([B, C])));
    const C2: [string, string, string] = [C[0], '02:00:00:00:00:cc', '172.30.0.23'];
    nodes.put(node('c', ...C2));
    await until("c's new MAC and address", () => sameEntries(want([B, C2])));
    nodes.remove('c');
    await until("c's entries gone", () => sameEntries(want([B])));
  });

  it('a deleted device comes back on reconcile with the same MAC and its entries', async () => {
    const before = await device();
    await ip('ip', 'link', 'del', DEV);
    ov!.requestSync(true);
    await until('the device and entries back', async () => (await ip('ip', '-j', 'link', 'show')).includes(DEV) && (await sameEntries(want([B]))));
    assert.equal((await device()).address, before.address, 'same VTEP MAC, so peers stay valid');
  });

  it('a restart changes nothing that is right and purges what went stale while it was down', async () => {
    await ov!.stop();
    const dev = await device();
    // while no overlay runs: peer b goes away, d joins, and somebody leaves a stray overlay route
    nodes.remove('b');
    const D: [string, string, string] = ['10.244.4.0/24', '02:00:00:00:00:0d', '172.30.0.14'];
    nodes.put(node('d', ...D));
    await ip('ip', 'route', 'add', '10.244.9.0/24', 'via', '10.244.9.0', 'dev', DEV, 'onlink');
    ov = engine(nodes, patches);
    const patchCount = patches.length;
    await ov.start();
    assert.deepEqual(await entries(), want([D]), 'only the current peer set');
    const again = await device();
    assert.deepEqual([again.ifindex, again.address], [dev.ifindex, dev.address], 'the device was kept, not recreated');
    assert.equal(patches.length, patchCount, 'annotations already right: no Node patch');
    assert.equal((await ip('iptables-save', '-t', 'filter')).match(/-j SX-OVERLAY-FWD/g)?.length, 1, 'still one FORWARD jump');
    assert.equal((await ip('iptables-save', '-t', 'nat')).match(/-j SX-OVERLAY-POSTRTG/g)?.length, 1, 'one POSTROUTING jump');
    assert.deepEqual(await ov.observed().then((o) => o.routes.length), 1);
  });

  it('--cleanup removes the device, its routes and the chains, and a second run finds nothing to do', async () => {
    await ov!.stop();
    const netlink = openIpNetlink(NS_PATH);
    const iptables = createIptables({ mode: 'nft', netns: NS });
    for (let i = 0; i < 2; i++) await cleanupOverlay(netlink, iptables, { device: DEV, network: '10.244.0.0/16' });
    assert.doesNotMatch(await ip('ip', 'link', 'show'), /sx-vxlan/);
    assert.deepEqual((JSON.parse(await ip('ip', '-j', 'route', 'show')) as { dst: string }[]).filter((r) => r.dst.startsWith('10.244.')), []);
    assert.doesNotMatch(await ip('iptables-save'), /SX-OVERLAY/);
  });
});
