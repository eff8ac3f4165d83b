/**
 * The end-to-end story on a real 3-node local cluster (control plane + 2 workers + outside), in
 * the order a user lives it: the canonical MySQL-like NodePort story from outside to every node,
 * a web Deployment by ClusterIP from a pod on another node, DNS through the search path, scaling
 * and pod deletion reflected in every node's rules and in DNS, an agent killed and restarted under
 * traffic, and `cluster down` leaving nothing behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRunning } from '../../cluster/processes.js';
import { eventually, REPO, TCP_CLIENT, TestCluster } from './harness.js';

interface PodJson {
  metadata: { name: string; uid: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status: { podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { restartCount: number }[] };
}
const ready = (p: PodJson) => (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('local cluster end to end', { timeout: 540_000 }, () => {
  const c = new TestCluster();
  let webIps: string[] = [];

  before(async () => {
    await c.up(3);
  });
  after(async () => {
    await c.cleanup();
  });

  const readyPods = async (selector: string, want: number): Promise<PodJson[]> =>
    eventually(`${want} ready pods ${selector}`, 90_000, async () => {
      const pods = (await c.json<{ items: PodJson[] }>(['get', 'pods', '-l', selector])).items;
      return pods.length === want && pods.every((p) => ready(p) && p.status.podIP) ? pods : undefined;
    });

  /** Runs the node TCP/HTTP client inside `target` against each host:port, `count` times each. */
  const client = async (target: string, mode: 'greeting' | 'http', targets: string[], count = 1): Promise<string[]> => {
    const r = await c.exec(target, ['node', '-e', TCP_CLIENT, mode, JSON.stringify(targets), String(count)], 60_000);
    assert.equal(r.code, 0, `client in ${target}: ${r.stderr}`);
    return JSON.parse(r.stdout) as string[];
  };

  const inEveryNodeRules = async (ips: string[], port: number, present: boolean) => {
    for (const node of c.nodeNames()) {
      await eventually(`${node}: endpoints ${ips.join(',')}:${port} ${present ? 'present' : 'absent'} in nat rules`, 30_000, async () => {
        const rules = await c.natRules(node);
        return ips.every((ip) => rules.includes(`--to-destination ${ip}:${port}`) === present) ? true : undefined;
      });
    }
  };

  it('cluster up printed each step and the nodes show with their underlay addresses', async () => {
    for (const step of ['hosts', 'control plane', 'nodes Ready', 'cluster DNS']) assert.match(c.upOutput, new RegExp(`✓ ${step}`));
    const wide = await c.kubectl(['get', 'nodes', '-o', 'wide']);
    for (const [i, name] of c.nodeNames().entries()) assert.match(wide, new RegExp(`^${name}\\s+Ready\\s.*\\s${c.nodeIps()[i]!.replace(/\./g, '\\.')}\\s`, 'm'));
    const cp = await c.json<{ spec: { taints?: { key: string; effect: string }[] } }>(['get', 'node', c.nodeNames()[0]!]);
    assert.deepEqual(cp.spec.taints?.map((t) => `${t.key}:${t.effect}`), ['node-role.kubernetes.io/control-plane:NoSchedule']);
  });

  it('canonical story: mysql pod exposed as a NodePort answers from outside on every node, the control plane included', async () => {
    await c.kubectl(['apply', '-f', join(REPO, 'examples/mysql/mysql-pod.yaml')]);
    const [pod] = await readyPods('app=mysql', 1);
    await c.kubectl(['expose', 'pod', 'mysql', '--type=NodePort', '--name=mysql-svc']);
    const svc = await c.json<{ spec: { ports: { nodePort: number; port: number }[] } }>(['get', 'svc', 'mysql-svc']);
    const nodePort = svc.spec.ports[0]!.nodePort;
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort}`);
    assert.match(await c.kubectl(['get', 'svc', 'mysql-svc']), new RegExp(`3306:${nodePort}/TCP`));
    assert.match(await c.kubectl(['describe', 'svc', 'mysql-svc']), new RegExp(`Endpoints:\\s+${pod!.status.podIP!.replace(/\./g, '\\.')}:3306`));
    await inEveryNodeRules([pod!.status.podIP!], 3306, true);
    assert.match(await c.kubectl(['logs', 'mysql']), /mysql-like server 8\.0\.36-sextant \(pod mysql\) listening on 3306/);
    const answers = await client('outside', 'greeting', c.nodeIps().map((ip) => `${ip}:${nodePort}`));
    for (const [i, a] of answers.entries()) assert.match(a, /8\.0\.36-sextant \(pod mysql\).*mysql_native_password/s, `node ${c.nodeIps()[i]}: ${a}`);
  });

  it('web by ClusterIP from a pod on another node reaches every replica', async () => {
    await c.kubectl(['apply', '-f', join(REPO, 'examples/web/web.yaml')]);
    await c.kubectl(['apply', '-f', join(REPO, 'examples/dns-client/client-pod.yaml')]);
    const web = await readyPods('app=web', 3);
    webIps = web.map((p) => p.status.podIP!);
    const [cl] = await eventually('client pod running', 90_000, async () => {
      const p = await c.json<PodJson>(['get', 'pod', 'client']);
      return ready(p) ? [p] : undefined;
    });
    assert.ok(web.some((p) => p.spec.nodeName !== cl!.spec.nodeName), 'some replica runs on another node than the client');
    const clusterIP = (await c.json<{ spec: { clusterIP: string } }>(['get', 'svc', 'web'])).spec.clusterIP;
    await inEveryNodeRules(webIps, 8080, true);
    const seen = await client('pod/client', 'http', [`${clusterIP}:80`], 30);
    assert.deepEqual(new Set(seen), new Set(web.map((p) => p.metadata.name)), `answers: ${seen.join(' ')}`);
  });

  it('getent hosts web in a pod resolves through the cluster DNS and the search path', async () => {
    const clusterIP = (await c.json<{ spec: { clusterIP: string } }>(['get', 'svc', 'web'])).spec.clusterIP;
    const r = await c.exec('pod/client', ['getent', 'hosts', 'web']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${clusterIP.replace(/\./g, '\\.')}\\s+web\\.default\\.svc\\.cluster\\.local`, 'm'));
    const resolv = await c.exec('pod/client', ['cat', '/etc/resolv.conf']);
    assert.match(resolv.stdout, /nameserver 10\.96\.0\.10/);
    assert.match(resolv.stdout, /search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/);
  });

  it('scale web to 6: every node rules and DNS list the 6 endpoints', async () => {
    await c.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web-headless\nspec:\n  clusterIP: None\n  selector:\n    app: web\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n');
    await c.kubectl(['scale', 'deploy', 'web', '--replicas=6']);
    webIps = (await readyPods('app=web', 6)).map((p) => p.status.podIP!);
    await inEveryNodeRules(webIps, 8080, true);
    await eventually('headless DNS lists 6 addresses', 30_000, async () => {
      const r = await c.exec('pod/client', ['dig', '+short', 'web-headless.default.svc.cluster.local']);
      const got = r.stdout.trim().split('\n').filter(Boolean).sort();
      return JSON.stringify(got) === JSON.stringify([...webIps].sort()) ? true : undefined;
    });
  });

  it('deleting a pod removes its endpoint from every node and from DNS', async () => {
    const pods = await readyPods('app=web', 6);
    const victim = pods[0]!;
    await c.kubectl(['delete', 'pod', victim.metadata.name, '--wait=false']);
    await inEveryNodeRules([victim.status.podIP!], 8080, false);
    await eventually('headless DNS without the deleted pod', 30_000, async () => {
      const r = await c.exec('pod/client', ['dig', '+short', 'web-headless.default.svc.cluster.local']);
      return r.code === 0 && r.stdout.trim() !== '' && !r.stdout.split('\n').includes(victim.status.podIP!) ? true : undefined;
    });
  });

  it('killing an agent and restarting it keeps traffic flowing; its pods are adopted, not restarted', async () => {
    const worker = c.nodeNames()[1]!;
    const agent = c.state().processes.find((p) => p.id === `agent/${worker}`)!;
    const before = (await readyPods('app=web', 6)).filter((p) => p.spec.nodeName === worker);
    const clusterIP = (await c.json<{ spec: { clusterIP: string } }>(['get', 'svc', 'web'])).spec.clusterIP;
    process.kill(agent.pid, 'SIGKILL');
    const during = await client('pod/client', 'http', [`${clusterIP}:80`], 12);
    assert.ok(during.every((a) => a.startsWith('web-')), `with the agent dead: ${during.join(' ')}`);
    const mysqlPort = (await c.json<{ spec: { ports: { nodePort: number }[] } }>(['get', 'svc', 'mysql-svc'])).spec.ports[0]!.nodePort;
    const ip = c.state().layout.hosts.find((h) => h.nodeName === worker)!.ip;
    assert.match((await client('outside', 'greeting', [`${ip}:${mysqlPort}`]))[0]!, /8\.0\.36-sextant/);
    const r = await c.sextant(['cluster', 'restart', '--name', c.name, `agent/${worker}`]);
    assert.equal(r.code, 0, r.stderr);
    await eventually(`${worker} Ready again`, 60_000, async () => {
      const n = await c.json<{ status: { conditions: { type: string; status: string }[] } }>(['get', 'node', worker]);
      return n.status.conditions.some((x) => x.type === 'Ready' && x.status === 'True') ? true : undefined;
    });
    const after = await client('pod/client', 'http', [`${clusterIP}:80`], 12);
    assert.ok(after.every((a) => a.startsWith('web-')), `after restart: ${after.join(' ')}`);
    const now = (await readyPods('app=web', 6)).filter((p) => p.spec.nodeName === worker);
    assert.deepEqual(now.map((p) => [p.metadata.uid, p.status.podIP, p.status.containerStatuses?.[0]?.restartCount]).sort(), before.map((p) => [p.metadata.uid, p.status.podIP, p.status.containerStatuses?.[0]?.restartCount]).sort());
  });

  it('cluster down leaves no namespace, link, process or file', async () => {
    const s = c.state();
    const podNetns = readdirSync('/run/netns').filter((n) => n.startsWith('sx-pod-'));
    const ours: string[] = [];
    for (const h of s.layout.hosts) {
      if (!h.nodeName) continue;
      const { stdout } = await c.exec(h.nodeName, ['ip', 'netns', 'list-id']);
      for (const m of stdout.matchAll(/iproute2 netns name: (sx-pod-[0-9a-f]+)/g)) ours.push(m[1]!);
    }
    assert.ok(ours.length >= 9, `pod namespaces found: ${ours.length}`);
    assert.ok(ours.every((n) => podNetns.includes(n)));
    const r = await c.down();
    assert.equal(r.code, 0, r.stderr);
    const left = readdirSync('/run/netns');
    assert.deepEqual(left.filter((n) => n.includes(`-${c.name}-`) || ours.includes(n)), []);
    for (const p of s.processes) assert.ok(!isRunning(p), `${p.id} still running`);
    for (const n of ours) assert.ok(!existsSync(`/etc/netns/${n}`), `/etc/netns/${n} left`);
    for (const path of [s.layout.stateDir, s.layout.dataDir, c.kubeconfig]) assert.ok(!existsSync(path), `${path} left`);
    const links = (await import('node:child_process')).execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    assert.ok(!links.includes(c.name), 'no link in the root namespace carries the cluster name');
  });
});
