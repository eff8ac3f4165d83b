/**
 * The CNI plugin trusts nothing on stdin or in its environment: each malformed env/stdin
 * combination of the table, given to the built binary (dist/cni/sextant, installed by
 * `sextant install-cni`) inside a node namespace this test creates, must answer a spec error
 * (`{cniVersion, code, msg}` on stdout), exit non-zero, and leave the node exactly as it was:
 * `ip -d link`, `ip addr`, `ip route`, `iptables-save`, the IPAM data dir and the result cache
 * are compared before and after. The node already carries a working pod (bridge, veth, NAT
 * rules), so an invocation that touched anything would show. Cases cover path traversal and
 * option injection (`-`-prefixed values) in CNI_CONTAINERID / CNI_IFNAME / config names,
 * over-long names, bad JSON and bad cniVersion.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from '../cni/build-once.js';
import { Runtime, TestNode, type ConfList } from '../cni/harness.js';

let node: TestNode;
let podNs: string;
let good: Record<string, unknown>;

/** Everything on the node an invocation could have changed. */
async function snapshot(): Promise<string> {
  const ex = async (cmd: string, args: string[]) => (await node.exec(node.nodeNs, cmd, args)).stdout;
  const files = (dir: string): string[] => {
    const out: string[] = [];
    const walk = (d: string) => {
      let names: string[];
      try {
        names = readdirSync(d).sort();
      } catch {
        return;
      }
      for (const n of names) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else out.push(`${p} ${readFileSync(p, 'utf8')}`);
      }
    };
    walk(dir);
    return out;
  };
  // kernel timers tick and IPv6 link-local addresses finish DAD on their own: not our changes
  const steady = (t: string) =>
    t.split('\n').filter((l) => !l.includes('fe80:')).map((l) => l.replace(/\b(\w+_timer)\s+[\d.]+/g, '$1').replace(/\btentative\b ?/g, '')).join('\n');
  return [
    steady(await ex('ip', ['-d', 'link', 'show'])),
    steady(await ex('ip', ['addr', 'show'])),
    steady(await ex('ip', ['route', 'show', 'table', 'all'])),
    (await ex('iptables-save', [])).split('\n').filter((l) => !l.startsWith('#')).join('\n'),
    steady((await node.exec(podNs, 'ip', ['-d', 'link', 'show'])).stdout),
    // last_reserved_ip is host-local's allocation hint (where the next search starts), moved by
    // an ADD that later rolls back just as host-local moves it; reservations themselves are compared
    ...files(node.dataDir).filter((l) => !l.includes('last_reserved_ip')),
    ...files(node.cacheDir),
    readdirSync('/run/netns').filter((n) => n.includes(node.id)).sort().join(' '),
  ].join('\n----\n');
}

type Env = Record<string, string | undefined>;
interface Case {
  name: string;
  env?: Env;
  /** Replaces the whole stdin text. */
  stdin?: string;
  /** Merged into the good config. */
  conf?: Record<string, unknown>;
  /** Expected spec error code(s); 'any' where the code depends on where the kernel refused. */
  codes: number[] | 'any';
  /** Commands to try (default ADD, DEL and CHECK). */
  commands?: string[];
}

const long = (n: number) => 'a'.repeat(n);
const cases = (): Case[] => [
  { name: 'no CNI_COMMAND', env: { CNI_COMMAND: undefined }, codes: [4] },
  { name: 'unknown CNI_COMMAND', env: { CNI_COMMAND: 'ADD;rm' }, codes: [4] },
  { name: 'CNI_CONTAINERID with path traversal', env: { CNI_CONTAINERID: '../../../../etc/passwd' }, codes: [4] },
  { name: 'CNI_CONTAINERID with a slash', env: { CNI_CONTAINERID: 'abc/def' }, codes: [4] },
  { name: 'CNI_CONTAINERID option injection', env: { CNI_CONTAINERID: '--help' }, codes: [4] },
  { name: 'CNI_CONTAINERID with a NUL-free newline', env: { CNI_CONTAINERID: 'abc\ndef' }, codes: [4] },
  { name: 'CNI_CONTAINERID over-long (256)', env: { CNI_CONTAINERID: long(256) }, codes: [4] },
  { name: 'CNI_CONTAINERID over-long (4096)', env: { CNI_CONTAINERID: long(4096) }, codes: [4] },
  { name: 'CNI_IFNAME with path traversal', env: { CNI_IFNAME: '../eth0' }, codes: [4] },
  { name: 'CNI_IFNAME ".."', env: { CNI_IFNAME: '..' }, codes: [4] },
  { name: 'CNI_IFNAME option injection', env: { CNI_IFNAME: '-help' }, codes: [4] },
  { name: 'CNI_IFNAME option injection (long form)', env: { CNI_IFNAME: '--force' }, codes: [4] },
  { name: 'CNI_IFNAME with whitespace', env: { CNI_IFNAME: 'eth0 up' }, codes: [4] },
  { name: 'CNI_IFNAME over-long (16)', env: { CNI_IFNAME: long(16) }, codes: [4] },
  { name: 'CNI_IFNAME empty', env: { CNI_IFNAME: '' }, codes: [4] },
  { name: 'CNI_NETNS relative', env: { CNI_NETNS: 'run/netns/x' }, codes: [4] },
  // DEL with a vanished namespace is success by the spec, so only ADD and CHECK here
  { name: 'CNI_NETNS missing file', env: { CNI_NETNS: '/run/netns/sx-does-not-exist-0' }, codes: [3], commands: ['ADD'] },
  { name: 'CNI_NETNS not a namespace', env: { CNI_NETNS: '/etc/hostname' }, codes: 'any', commands: ['ADD'] },
  { name: 'CNI_ARGS unknown key', env: { CNI_ARGS: 'K8S_POD_NAME=x;EVIL=1' }, codes: [4] },
  { name: 'CNI_ARGS IP not an address', env: { CNI_ARGS: 'IP=../../x' }, codes: [4] },
  { name: 'CNI_ARGS not KEY=VALUE', env: { CNI_ARGS: 'novalue' }, codes: [4] },
  { name: 'empty stdin', stdin: '', codes: [6, 7] },
  { name: 'stdin not JSON', stdin: '{"cniVersion": "1.1.0", ', codes: [6] },
  { name: 'stdin JSON null', stdin: 'null', codes: [6, 7] },
  { name: 'stdin JSON array', stdin: '[1,2,3]', codes: [6, 7] },
  { name: 'network name over-long (300)', conf: { name: long(300) }, codes: 'any' },
  { name: 'stdin of 2 MiB with an invalid name', conf: { name: '../x', padding: long(2 << 20) }, codes: [6, 7] },
  { name: 'cniVersion unknown', conf: { cniVersion: '99.0.0' }, codes: [1] },
  { name: 'cniVersion not a string', conf: { cniVersion: 110 }, codes: [1, 6, 7] },
  { name: 'cniVersion injection', conf: { cniVersion: '1.1.0; rm -rf /' }, codes: [1] },
  { name: 'network name with path traversal', conf: { name: '../../../tmp/x' }, codes: [6, 7] },
  { name: 'network name option injection', conf: { name: '-rf' }, codes: [6, 7] },
  { name: 'bridge name option injection', conf: { bridge: '-h' }, codes: [6, 7] },
  { name: 'bridge name with a slash', conf: { bridge: 'sx/../x' }, codes: [6, 7] },
  { name: 'bridge name over-long (16)', conf: { bridge: long(16) }, codes: [6, 7] },
  { name: 'mtu out of range', conf: { mtu: 10 }, codes: [6, 7] },
  { name: 'ipam.type path traversal', conf: { ipam: { type: '../../../bin/sh' } }, codes: [6, 7] },
  { name: 'ipam.type option injection', conf: { ipam: { type: '-c' } }, codes: [6, 7] },
  { name: 'ipam.dataDir relative', conf: { ipam: { dataDir: 'var/lib/x' } }, codes: [6, 7] },
  { name: 'ipam subnet not a CIDR', conf: { ipam: { ranges: [[{ subnet: '10.0.0.0/99;x' }]] } }, codes: [6, 7] },
  { name: 'subnetFile relative', conf: { subnetFile: 'subnet.env' }, codes: [6, 7] },
  { name: 'prevResult not an object', conf: { prevResult: 'x' }, codes: [6, 7] },
];

describe('CNI plugin: malformed env/stdin → spec error, non-zero exit, node unchanged', { timeout: 240_000 }, () => {
  before(async () => {
    buildOnce();
    node = await TestNode.create();
    podNs = await node.newPod();
    good = { cniVersion: '1.1.0', name: 'sxnet', type: 'sextant', subnetFile: node.subnetFile, ipam: { dataDir: node.dataDir } };
    const list: ConfList = { cniVersion: '1.1.0', name: 'sxnet', plugins: [{ type: 'sextant', subnetFile: node.subnetFile, ipam: { dataDir: node.dataDir } }] };
    const first = await new Runtime(node).add(list, 'existing-pod', await node.newPod());
    assert.ok(first.ok, JSON.stringify(first));
  });
  after(async () => node?.destroy());

  it('the table exercises every case against the same node state', async () => {
    const failures: string[] = [];
    for (const c of cases()) {
      const before = await snapshot();
      for (const command of c.env && 'CNI_COMMAND' in c.env ? [c.env.CNI_COMMAND] : c.commands ?? ['ADD', 'DEL', 'CHECK']) {
        const env: Record<string, string> = {};
        const merged: Env = { CNI_COMMAND: command, CNI_CONTAINERID: 'c0ffee01', CNI_NETNS: podNs, CNI_IFNAME: 'eth0', ...c.env };
        for (const [k, v] of Object.entries(merged)) if (v !== undefined) env[k] = v;
        const conf = { ...good, ...c.conf };
        const res = c.stdin !== undefined ? await rawPlugin(env, c.stdin) : await node.plugin('sextant', env, conf);
        const what = `${c.name} [${command ?? 'no command'}]`;
        const doc = res.doc as { code?: unknown; msg?: unknown; cniVersion?: unknown } | undefined;
        if (res.code === 0) failures.push(`${what}: exit 0, stdout ${String(JSON.stringify(res.doc)).slice(0, 200)}`);
        else if (typeof doc?.code !== 'number' || typeof doc.msg !== 'string' || typeof doc.cniVersion !== 'string') failures.push(`${what}: not a spec error: ${String(JSON.stringify(res.doc)).slice(0, 200)} ${res.stderr.slice(0, 200)}`);
        else if (c.codes !== 'any' && !c.codes.includes(doc.code)) failures.push(`${what}: code ${doc.code} (${String(doc.msg).slice(0, 120)}), want ${c.codes.join('/')}`);
        const now = await snapshot();
        if (now !== before) failures.push(`${what}: the node changed:\n${diff(before, now)}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('the longest valid container ID (255) attaches and detaches cleanly (iptables comment kept within its limit)', async () => {
    const before = await snapshot();
    const pod = await node.newPod();
    const env = { CNI_CONTAINERID: long(255), CNI_NETNS: pod, CNI_IFNAME: 'eth0' };
    const add = await node.plugin('sextant', { ...env, CNI_COMMAND: 'ADD' }, good);
    assert.equal(add.code, 0, JSON.stringify(add.doc));
    const del = await node.plugin('sextant', { ...env, CNI_COMMAND: 'DEL' }, { ...good, prevResult: add.doc });
    assert.equal(del.code, 0, JSON.stringify(del.doc));
    await node.deleteNamespace(pod);
    const after = await snapshot();
    assert.equal(after, before, diff(before, after));
  });
});

/** Runs the plugin with raw stdin text (not JSON-stringified). */
async function rawPlugin(env: Record<string, string>, stdin: string) {
  const { run } = await import('../cni/harness.js');
  const r = await run('ip', ['netns', 'exec', node.nodeNs, join(node.binDir, 'sextant')], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CNI_PATH: node.binDir, ...env }, input: stdin });
  let doc: Record<string, unknown> | undefined;
  try {
    doc = r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined;
  } catch {
    doc = { unparsable: r.stdout.slice(0, 200) };
  }
  return { code: r.code, doc, stderr: r.stderr };
}

function diff(a: string, b: string): string {
  const al = new Set(a.split('\n'));
  const bl = new Set(b.split('\n'));
  return [...[...al].filter((l) => !bl.has(l)).map((l) => `- ${l}`), ...[...bl].filter((l) => !al.has(l)).map((l) => `+ ${l}`)].slice(0, 20).join('\n');
}
