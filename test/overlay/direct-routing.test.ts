/**
 * Direct routing on the real kernel: a peer whose underlay address is on this node's underlay
 * subnet gets a plain route via that address (no VXLAN entries), a peer elsewhere keeps the
 * encapsulated path, and moving a peer off the subnet switches it over.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Node } from '../../controller/api/index.js';
import { Overlay } from '../../cni/overlay/overlay.js';
import { ANNOTATION_PUBLIC_IP, ANNOTATION_VTEP_MAC } from '../../cni/overlay/names.js';
import { createLogger } from '../../daemon/logger.js';
import { createIptables } from '../../kernel/iptables.js';
import { openIpNetlink } from '../../kernel/netlink/ip-command.js';
import { readVxlanAttributes } from '../../kernel/netlink/vxlan-info.js';
import { realSysctl } from '../../kernel/sysctl.js';
import { NodeList } from './node-list.js';

const execP = promisify(execFile);
const NS = `sx-ovd-${randomBytes(3).toString('hex')}`;
const NS_PATH = `/run/netns/${NS}`;
const DIR = mkdtempSync(join(tmpdir(), 'sx-overlay-direct-'));
const DEV = 'sx-vxlan.1';
const ip = async (...args: string[]) => (await execP('ip', ['netns', 'exec', NS, ...args])).stdout;

const node = (name: string, podCIDR: string, mac: string | undefined, publicIp: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, annotations: mac ? { [ANNOTATION_VTEP_MAC]: mac, [ANNOTATION_PUBLIC_IP]: publicIp } : {} },
  spec: { podCIDR },
  status: { addresses: [{ type: 'InternalIP', address: publicIp }] },
});

async function state() {
  const routes = JSON.parse(await ip('ip', '-j', 'route', 'show')) as { dst: string; gateway?: string; dev: string }[];
  const neigh = JSON.parse(await ip('ip', '-j', 'neigh', 'show', 'dev', DEV)) as { dst: string; lladdr?: string }[];
  return {
    routes: routes.filter((r) => r.gateway && r.dst.startsWith('10.244.')).map((r) => `${r.dst} via ${r.gateway} dev ${r.dev}`).sort(),
    neighbours: neigh.filter((n) => n.lladdr).map((n) => n.dst).sort(),
  };
}

describe('overlay direct routing on the real kernel (own namespace)', { timeout: 60_000 }, () => {
  const nodes = new NodeList();
  let ov: Overlay | undefined;

  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('test/overlay needs root (network namespaces)');
    await execP('ip', ['netns', 'add', NS]);
    await ip('ip', 'link', 'set', 'lo', 'up');
    await ip('ip', 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul1');
    await ip('ip', 'addr', 'add', '172.30.1.11/24', 'dev', 'ul0');
    await ip('ip', 'link', 'set', 'ul0', 'up');
    await ip('ip', 'link', 'set', 'ul1', 'up');
    nodes.put(node('self', '10.244.1.0/24', undefined, '172.30.1.11'));
    nodes.put(node('near', '10.244.2.0/24', '02:00:00:00:00:0b', '172.30.1.12'));
    nodes.put(node('far', '10.244.3.0/24', '02:00:00:00:00:0c', '192.0.2.13'));
  });
  after(async () => {
    await ov?.stop();
    await execP('ip', ['netns', 'del', NS]).catch(() => undefined);
    rmSync(DIR, { recursive: true, force: true });
  });

  it('routes a same-subnet peer directly and encapsulates the others; a moved peer switches path', async () => {
    ov = new Overlay(
      { nodeName: 'self', network: '10.244.0.0/16', vni: 1, port: 8472, directRouting: true, subnetFile: join(DIR, 'subnet.env'), masquerade: true, reconcilePeriodMs: 3_600_000, netnsPath: NS_PATH },
      {
        netlink: openIpNetlink(NS_PATH),
        readVxlan: (name) => readVxlanAttributes(NS_PATH, name),
        iptables: createIptables({ mode: 'nft', netns: NS }),
        sysctl: realSysctl,
        nodes,
        patchNode: async () => undefined,
        log: createLogger('overlay-test', { silent: true }),
      },
    );
    await ov.start();
    assert.deepEqual(await state(), { routes: ['10.244.2.0/24 via 172.30.1.12 dev ul0', '10.244.3.0/24 via 10.244.3.0 dev sx-vxlan.1'], neighbours: ['10.244.3.0'] });
    nodes.put(node('near', '10.244.2.0/24', '02:00:00:00:00:0b', '192.0.2.12'));
    // The switch is applied neighbour → FDB → route: wait for the whole expected state, not its first step.
    const want = { routes: ['10.244.2.0/24 via 10.244.2.0 dev sx-vxlan.1', '10.244.3.0/24 via 10.244.3.0 dev sx-vxlan.1'], neighbours: ['10.244.2.0', '10.244.3.0'] };
    const until = Date.now() + 20_000;
    let now = await state();
    while (Date.now() < until && JSON.stringify(now) !== JSON.stringify(want)) {
      await new Promise((r) => setTimeout(r, 100));
      now = await state();
    }
    assert.deepEqual(now, want);
  });
});
