import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadSxSys, type SxSys } from '../../native/sxsys.js';
import { applyInNetnsNative, openNativeNetlink } from './native.js';
import { NetlinkError, type Netlink } from './types.js';

const REPO = new URL('../../', import.meta.url).pathname;

interface IpLinkJson {
  ifname: string;
  address: string;
  mtu: number;
  flags: string[];
  master?: string;
  promiscuity?: number;
  linkinfo?: { info_kind?: string; info_slave_data?: { hairpin?: boolean } };
}

/** The native helper and netlink handle against real namespaces (all sx-, made here). */
describe('native netlink (real namespaces)', () => {
  const id = randomBytes(3).toString('hex');
  const host = `sx-nat-h-${id}`;
  const pod = `sx-nat-p-${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'sx-native-'));
  let sys: SxSys;
  const ip = (ns: string, ...args: string[]) => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' }).trim();
  const link = (ns: string, name: string) => (JSON.parse(ip(ns, '-j', '-d', 'link', 'show', 'dev', name)) as IpLinkJson[])[0]!;
  const ownNs = () => readlinkSync('/proc/thread-self/ns/net');

  before(() => {
    const out = join(dir, 'sxsys.node');
    execFileSync(process.execPath, ['--input-type=module', '-e', 'import { buildNativeHelper } from "./native/build.mjs"; buildNativeHelper(process.argv[1]);', out], { cwd: REPO });
    sys = loadSxSys(out);
    execFileSync('ip', ['netns', 'add', host]);
    execFileSync('ip', ['netns', 'add', pod]);
  });
  after(() => {
    spawnSync('ip', ['netns', 'del', host]);
    spawnSync('ip', ['netns', 'del', pod]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the CNI host side: bridge, gateway, veth with its peer in the pod namespace, port, hairpin', async () => {
    const before = ownNs();
    const nl: Netlink = openNativeNetlink(sys, `/run/netns/${host}`);
    try {
      await nl.apply([{ op: 'link.add', link: { kind: 'bridge', name: 'br0', mtu: 1400, mac: '02:aa:00:00:00:01' } }]);
      const [br] = await nl.apply(
        [
          { op: 'link.set', name: 'br0', change: { up: true, promisc: true } },
          { op: 'addr.replace', addr: { link: 'br0', cidr: '10.9.0.1/24' } },
          { op: 'addr.replace', addr: { link: 'br0', cidr: '10.9.0.1/24' } },
          { op: 'link.add', link: { kind: 'veth', name: 'vh0', mtu: 1400, mac: '02:aa:00:00:00:02', peer: { name: 'eth0', mac: '02:aa:00:00:00:03', netnsPath: `/run/netns/${pod}` } } },
          { op: 'link.set', name: 'vh0', change: { master: 'br0', up: true } },
          { op: 'link.set', name: 'vh0', change: { hairpin: true } },
        ],
        ['br0'],
      );
      assert.deepEqual({ kind: br!.kind, mac: br!.mac, mtu: br!.mtu, up: br!.up, promisc: br!.promisc }, { kind: 'bridge', mac: '02:aa:00:00:00:01', mtu: 1400, up: true, promisc: true });
      const port = await nl.getLink('vh0');
      assert.equal(port?.master, 'br0');
      assert.equal(await nl.getLink('nosuch0'), undefined);
    } finally {
      nl.close();
    }
    assert.equal(ownNs(), before, 'the thread is back in its own namespace');
    assert.match(ip(host, '-4', '-o', 'addr', 'show', 'dev', 'br0'), /10\.9\.0\.1\/24/);
    assert.equal(ip(host, '-4', '-o', 'addr', 'show', 'dev', 'br0').split('\n').length, 1);
    const vh = link(host, 'vh0');
    assert.equal(vh.master, 'br0');
    assert.equal(vh.address, '02:aa:00:00:00:02');
    assert.equal(vh.linkinfo?.info_slave_data?.hairpin, true);
    const eth = link(pod, 'eth0');
    assert.deepEqual({ mac: eth.address, mtu: eth.mtu }, { mac: '02:aa:00:00:00:03', mtu: 1400 });
  });

  it('configures the pod side inside the namespace: sysctl, address, link up, routes', async () => {
    const before = ownNs();
    await applyInNetnsNative(
      sys,
      `/run/netns/${pod}`,
      [
        { op: 'link.set', name: 'lo', change: { up: true } },
        { op: 'addr.add', addr: { link: 'eth0', cidr: '10.9.0.5/24' } },
        { op: 'link.set', name: 'eth0', change: { up: true } },
        { op: 'route.add', route: { dst: '0.0.0.0/0', link: 'eth0', gw: '10.9.0.1' } },
        { op: 'route.add', route: { dst: '10.10.0.0/16', link: 'eth0' } },
      ],
      { 'net/ipv4/conf/eth0/arp_notify': '1' },
    );
    assert.equal(ownNs(), before);
    assert.equal(execFileSync('ip', ['netns', 'exec', pod, 'cat', '/proc/sys/net/ipv4/conf/eth0/arp_notify'], { encoding: 'utf8' }).trim(), '1');
    assert.match(ip(pod, '-4', '-o', 'addr', 'show', 'dev', 'eth0'), /10\.9\.0\.5\/24/);
    assert.ok(link(pod, 'eth0').flags.includes('UP'));
    assert.ok(link(pod, 'lo').flags.includes('UP'));
    const routes = ip(pod, 'route', 'show');
    assert.match(routes, /^default via 10\.9\.0\.1 dev eth0/m);
    assert.match(routes, /^10\.10\.0\.0\/16 dev eth0 .*scope link/m);
    // The same ping the CNI e2e tests rely on: pod to the bridge's gateway address.
    execFileSync('ip', ['netns', 'exec', pod, 'ping', '-c', '1', '-W', '2', '10.9.0.1']);
  });

  it('reports kernel errors by op index and kind, in the terms add.ts matches', async () => {
    const nl = openNativeNetlink(sys, `/run/netns/${host}`);
    try {
      await assert.rejects(nl.apply([{ op: 'link.set', name: 'nosuchbr', change: { up: true } }]), (e: unknown) => e instanceof NetlinkError && e.failedOp === 0 && e.kind === 'not-found');
      await assert.rejects(
        nl.apply([
          { op: 'link.set', name: 'br0', change: { up: true } },
          { op: 'link.add', link: { kind: 'veth', name: 'vh0', peer: { name: 'eth9' } } },
        ]),
        (e: unknown) => e instanceof NetlinkError && e.failedOp === 1 && e.kind === 'exists' && /veth/.test(e.message),
      );
      await assert.rejects(
        nl.apply([{ op: 'addr.add', addr: { link: 'br0', cidr: '10.9.1.1/24' } }, { op: 'addr.add', addr: { link: 'nosuch0', cidr: '10.9.2.1/24' } }]),
        (e: unknown) => e instanceof NetlinkError && e.failedOp === 1 && e.kind === 'not-found',
      );
      await assert.rejects(nl.apply([], ['nosuch0']), (e: unknown) => e instanceof NetlinkError && e.failedOp === 0 && e.kind === 'not-found');
      await assert.rejects(nl.apply([{ op: 'fdb.append', fdb: { link: 'br0', mac: '02:00:00:00:00:09', dst: '10.0.0.1' } }]), (e: unknown) => e instanceof NetlinkError && e.kind === 'invalid');
    } finally {
      nl.close();
    }
  });

  it('sends a plan in few datagrams and still names the op that failed inside one', async () => {
    let sends = 0;
    const counting: SxSys = {
      setns: (fd, t) => sys.setns(fd, t),
      flock: (fd, ms) => sys.flock(fd, ms),
      nlOpen: () => sys.nlOpen(),
      nlSend: (fd, msg) => (sends++, sys.nlSend(fd, msg)),
      nlRecv: (fd) => sys.nlRecv(fd),
    };
    const nl = openNativeNetlink(counting, `/run/netns/${host}`);
    try {
      sends = 0;
      await nl.apply(
        [
          { op: 'link.set', name: 'br0', change: { up: true } },
          { op: 'addr.replace', addr: { link: 'br0', cidr: '10.9.0.1/24' } },
          { op: 'link.add', link: { kind: 'veth', name: 'vh1', mtu: 1400, peer: { name: 'eth1', netnsPath: `/run/netns/${pod}` } } },
          { op: 'link.set', name: 'vh1', change: { master: 'br0', up: true } },
        ],
        ['br0'],
      );
      assert.equal(sends, 2, 'one look-up of br0, then the ops and the read-back in one datagram (was 6 requests)');
      assert.equal(link(host, 'vh1').master, 'br0');
      assert.ok(link(host, 'vh1').flags.includes('UP'));
      // The second of three fails in the kernel: reported as op 1 with the kernel's reason.
      await assert.rejects(
        nl.apply([
          { op: 'addr.add', addr: { link: 'br0', cidr: '10.9.3.1/24' } },
          { op: 'route.add', route: { dst: '10.77.0.0/16', link: 'br0', gw: '10.88.0.1' } },
          { op: 'link.set', name: 'br0', change: { up: true } },
        ]),
        (e: unknown) => e instanceof NetlinkError && e.failedOp === 1 && /^route add 10\.77\.0\.0\/16/.test(e.message) && /ENETUNREACH/.test(e.message),
      );
      // A creation that fails (the name is taken) ends its batch: the change after it, folded
      // into the creation or not, never reaches the existing link.
      execFileSync('ip', ['-n', host, 'link', 'add', 'br1', 'type', 'bridge']);
      await assert.rejects(
        nl.apply([
          { op: 'link.add', link: { kind: 'veth', name: 'vh1', peer: { name: 'eth8' } } },
          { op: 'link.set', name: 'vh1', change: { master: 'br1', up: true } },
        ]),
        (e: unknown) => e instanceof NetlinkError && e.failedOp === 0 && e.kind === 'exists',
      );
      await assert.rejects(
        nl.apply([
          { op: 'link.add', link: { kind: 'veth', name: 'vh1', peer: { name: 'eth8' } } },
          { op: 'link.set', name: 'vh1', change: { mtu: 1300 } },
        ]),
        (e: unknown) => e instanceof NetlinkError && e.failedOp === 0 && e.kind === 'exists',
      );
      assert.deepEqual({ master: link(host, 'vh1').master, mtu: link(host, 'vh1').mtu }, { master: 'br0', mtu: 1400 });
      // A link an op needs by index is missing: that op fails and nothing of the batch is sent.
      sends = 0;
      await assert.rejects(
        nl.apply([
          { op: 'link.set', name: 'vh1', change: { mtu: 1300 } },
          { op: 'addr.add', addr: { link: 'nosuch1', cidr: '10.9.4.1/24' } },
        ]),
        (e: unknown) => e instanceof NetlinkError && e.failedOp === 1 && e.kind === 'not-found' && /nosuch1/.test(e.message),
      );
      assert.equal(sends, 1, 'only the look-up went out');
      assert.equal(link(host, 'vh1').mtu, 1400);
      await nl.apply([{ op: 'link.del', name: 'vh1' }, { op: 'link.del', name: 'br1' }]);
    } finally {
      nl.close();
    }
  });

  it('a failed sysctl write rejects at op 0 and applies none of the ops', async () => {
    ip(pod, 'link', 'set', 'lo', 'down');
    await assert.rejects(
      applyInNetnsNative(sys, `/run/netns/${pod}`, [{ op: 'link.set', name: 'lo', change: { up: true } }], { 'net/ipv4/conf/nosuchif0/arp_notify': '1' }),
      (e: unknown) => e instanceof NetlinkError && e.failedOp === 0 && /sysctl net\/ipv4\/conf\/nosuchif0\/arp_notify/.test(e.message),
    );
    assert.ok(!link(pod, 'lo').flags.includes('UP'));
    await assert.rejects(applyInNetnsNative(sys, `/run/netns/${pod}`, [], { '../etc/passwd': '1' }), /is not a \/proc\/sys path/);
    await assert.rejects(applyInNetnsNative(sys, join(dir, 'no-such-netns'), [], {}), (e: unknown) => e instanceof NetlinkError && e.kind === 'not-found');
  });

  it('deleting the host veth removes its pod end too', async () => {
    const nl = openNativeNetlink(sys, `/run/netns/${host}`);
    try {
      await nl.apply([{ op: 'link.del', name: 'vh0' }]);
      await assert.rejects(nl.apply([{ op: 'link.del', name: 'vh0' }]), (e: unknown) => e instanceof NetlinkError && e.kind === 'not-found');
    } finally {
      nl.close();
    }
    assert.equal(spawnSync('ip', ['-n', pod, 'link', 'show', 'eth0']).status, 1);
  });

  it('a link renamed in a batch is found under its new name by the ops after it in that batch', async () => {
    const nl = openNativeNetlink(sys, `/run/netns/${host}`);
    try {
      await nl.apply([{ op: 'link.add', link: { kind: 'veth', name: 'vr0', peer: { name: 'vr1' } } }]);
      const [shown] = await nl.apply(
        [
          { op: 'link.set', name: 'vr0', change: { name: 'vr2' } },
          { op: 'addr.add', addr: { link: 'vr2', cidr: '10.9.7.1/24' } },
          { op: 'link.set', name: 'vr2', change: { up: true } },
        ],
        ['vr2'],
      );
      assert.equal(shown!.name, 'vr2');
      assert.match(ip(host, '-4', '-o', 'addr', 'show', 'dev', 'vr2'), /10\.9\.7\.1\/24/);
      assert.ok(link(host, 'vr2').flags.includes('UP'));
    } finally {
      spawnSync('ip', ['-n', host, 'link', 'del', 'vr2']);
      spawnSync('ip', ['-n', host, 'link', 'del', 'vr0']);
      nl.close();
    }
  });

  it('flock(2) excludes util-linux flock (and so host-local) until the descriptor closes', () => {
    const path = join(dir, 'lock');
    writeFileSync(path, '');
    const fd = openSync(path, 'a');
    sys.flock(fd, 1000);
    assert.equal(spawnSync('flock', ['-n', path, 'true']).status, 1, 'held: flock -n fails');
    const other = openSync(path, 'a');
    assert.throws(() => sys.flock(other, 50), /timed out/);
    closeSync(fd);
    sys.flock(other, 1000);
    closeSync(other);
    assert.equal(spawnSync('flock', ['-n', path, 'true']).status, 0, 'released');
  });
});

describe('native helper loading', () => {
  it('fails closed with NativeLoadError for bytes that are not the helper, or no helper at all', () => {
    const d = mkdtempSync(join(tmpdir(), 'sx-native-bad-'));
    try {
      writeFileSync(join(d, 'bad.node'), 'not an ELF file');
      // A helper may already be loaded in this process (the suite above): loading is once per
      // process, so only a fresh process shows the failure.
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', `import { loadSxSys } from './native/sxsys.ts'; for (const p of [${JSON.stringify(join(d, 'bad.node'))}, undefined]) { try { loadSxSys(p); console.log('loaded'); } catch (e) { console.log(e.name + ': ' + e.message); } }`],
        { cwd: REPO, encoding: 'utf8' },
      );
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 2, r.stderr);
      assert.match(lines[0]!, /^NativeLoadError: native helper could not be loaded/);
      assert.match(lines[1]!, /^NativeLoadError: native helper is not part of this build/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
