/**
 * The controllers inside a real `sextant server` process, driven by the real kubectl (fresh
 * HOME, temp data dir, random port): a Deployment of 3 → 3 Pods bound across Nodes → pod status
 * set Ready through the API → an EndpointSlice with 3 ready endpoints → server restart (nothing
 * leaked or doubled) → scale to 5 → delete → everything the Deployment owned is gone. Then 200
 * parallel Service creates over HTTP get 200 distinct ClusterIPs and NodePorts, also after a
 * second restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from '../../controller/api/client.js';
import { KINDS, type Service } from '../../controller/api/index.js';
import { startTestServer, type TestServer } from '../server/harness.js';
import { eventually } from './in-process.js';

const nodesYaml = ['n1', 'n2', 'n3']
  .map(
    (n) => `apiVersion: v1
kind: Node
metadata:
  name: ${n}
status:
  conditions:
  - type: Ready
    status: "True"
`,
  )
  .join('---\n');

const appYaml = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - {name: http, containerPort: 8080}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
`;

interface Item {
  metadata: { name: string; deletionTimestamp?: string; ownerReferences?: { kind: string }[]; labels?: Record<string, string> };
  spec?: { nodeName?: string; replicas?: number; podCIDR?: string; clusterIP?: string };
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
}

async function getJson(s: TestServer, args: string[]): Promise<Item[]> {
  const r = await s.kubectl(['get', ...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`kubectl get ${args.join(' ')}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { items: Item[] }).items;
}

async function ok(s: TestServer, args: string[]): Promise<string> {
  const r = await s.kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('kubectl: deployment → bound pods → ready endpoints → restart → scale → delete', async () => {
  const s = await startTestServer(['--node-monitor-grace-period', '10m']);
  try {
    await ok(s, ['apply', '-f', s.manifest('nodes.yaml', nodesYaml)]);
    const nodes = await eventually('pod CIDRs on nodes', async () => {
      const n = await getJson(s, ['nodes']);
      return n.length === 3 && n.every((x) => x.spec?.podCIDR) && n;
    });
    assert.equal(new Set(nodes.map((n) => n.spec?.podCIDR)).size, 3);

    await ok(s, ['apply', '-f', s.manifest('app.yaml', appYaml)]);
    const pods = await eventually('3 pods bound', async () => {
      const p = await getJson(s, ['pods', '-l', 'app=web']);
      return p.length === 3 && p.every((x) => x.spec?.nodeName) && p;
    });
    assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), ['n1', 'n2', 'n3']);
    const describe = await ok(s, ['describe', 'pod', pods[0]!.metadata.name]);
    assert.match(describe, /Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/\S+ to n\d/);

    let ip = 10;
    for (const p of pods) {
      const status = { status: { phase: 'Running', podIP: `10.244.0.${ip}`, podIPs: [{ ip: `10.244.0.${ip++}` }], conditions: [{ type: 'Ready', status: 'True' }] } };
      await ok(s, ['patch', 'pod', p.metadata.name, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    }
    const readyEndpoints = async (n: number) =>
      eventually(`${n} ready endpoints`, async () => {
        const sl = await getJson(s, ['endpointslices', '-l', 'kubernetes.io/service-name=web']);
        const eps = sl.flatMap((x) => x.endpoints ?? []);
        return eps.length === n && eps.every((e) => e.conditions?.ready) && sl;
      });
    assert.equal((await readyEndpoints(3)).length, 1);
    // core/v1 Endpoints are mirrored by their own queue, so they may land just after the slice.
    const ep = await eventually('Endpoints web with the 3 addresses', async () => {
      const r = await s.kubectl(['get', 'ep', 'web']);
      return r.code === 0 && /10\.244\.0\.10:8080,10\.244\.0\.11:8080,10\.244\.0\.12:8080/.test(r.stdout) && r.stdout;
    });
    assert.match(ep, /^web\s/m);
    await eventually('rollout complete', async () => (await s.kubectl(['rollout', 'status', 'deploy/web', '--timeout=5s'])).stdout.includes('successfully rolled out'));
    const deploy = await ok(s, ['get', 'deploy', 'web']);
    assert.match(deploy, /web\s+3\/3\s+3\s+3\s/);

    // Restart: the same objects, nothing recreated, nothing doubled.
    const before = { pods: (await getJson(s, ['pods'])).map((p) => p.metadata.name).sort(), rs: (await getJson(s, ['rs'])).map((r) => r.metadata.name) };
    const svcIP = await ok(s, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.match(svcIP, /^10\./);
    await s.restart();
    await ok(s, ['apply', '-f', s.manifest('app.yaml', appYaml)]);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual((await getJson(s, ['pods'])).map((p) => p.metadata.name).sort(), before.pods);
    assert.deepEqual((await getJson(s, ['rs'])).map((r) => r.metadata.name), before.rs);
    assert.equal((await readyEndpoints(3)).length, 1);
    // Node IPAM after the restart: a new node never gets a CIDR an existing node holds.
    await ok(s, ['apply', '-f', s.manifest('n4.yaml', nodesYaml.split('---\n')[0]!.replace('n1', 'n4'))]);
    const all = await eventually('n4 CIDR', async () => {
      const n = await getJson(s, ['nodes']);
      return n.length === 4 && n.every((x) => x.spec?.podCIDR) && n;
    });
    assert.equal(new Set(all.map((n) => n.spec?.podCIDR)).size, 4);
    assert.deepEqual(all.filter((n) => n.metadata.name !== 'n4').map((n) => n.spec?.podCIDR).sort(), nodes.map((n) => n.spec?.podCIDR).sort());
    const dup = await s.kubectl(['create', '-f', s.manifest('o.yaml', `apiVersion: v1\nkind: Service\nmetadata: {name: other}\nspec:\n  clusterIP: ${svcIP}\n  ports: [{port: 1}]\n`)]);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /spec\.clusterIP.*provided IP is already allocated/);

    await ok(s, ['scale', 'deploy', 'web', '--replicas=5']);
    await eventually('5 pods bound', async () => {
      const p = await getJson(s, ['pods', '-l', 'app=web']);
      return p.length === 5 && p.every((x) => x.spec?.nodeName);
    });

    await ok(s, ['delete', 'deploy', 'web', '--wait=false']);
    await eventually('pods and replica sets gone', async () => {
      const [p, r] = await Promise.all([getJson(s, ['pods']), getJson(s, ['rs'])]);
      // No node agent runs here: confirm graceful pod deletions the way it would.
      for (const x of p) if (x.metadata.deletionTimestamp) await s.kubectl(['delete', 'pod', x.metadata.name, '--grace-period=0', '--force', '--wait=false']);
      return p.length === 0 && r.length === 0;
    });
  } finally {
    await s.cleanup();
  }
});

test('200 parallel service creates get 200 distinct ClusterIPs and NodePorts, also after a restart', async () => {
  const s = await startTestServer(['--controllers=*,-scheduler,-node-lifecycle']);
  const create = async (client: ApiClient, prefix: string) =>
    Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client.create<Service>(KINDS.Service, {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `${prefix}-${i}`, namespace: 'default' },
          spec: { type: 'NodePort', ports: [{ port: 80 }] },
        }),
      ),
    );
  try {
    let client = ApiClient.fromKubeconfig(s.kubeconfig);
    const first = await create(client, 'a');
    client.close();
    await s.restart();
    client = ApiClient.fromKubeconfig(s.kubeconfig);
    const second = await create(client, 'b');
    client.close();
    const all = [...first, ...second];
    const ips = new Set(all.map((x) => x.spec.clusterIP));
    const ports = new Set(all.map((x) => x.spec.ports?.[0]?.nodePort));
    assert.equal(ips.size, 400);
    assert.equal(ports.size, 400);
    assert.ok(!ips.has('10.96.0.1'), 'the kubernetes address is never handed out');
  } finally {
    await s.cleanup();
  }
});
