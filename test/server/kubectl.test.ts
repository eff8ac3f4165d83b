/**
 * Acceptance: the real kubectl (default flags: strict validation through OpenAPI, Tables,
 * aggregated discovery) against a real `sextant server` process. Assertions are on what kubectl
 * prints.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { cell, kubectlAsserts, startTestServer, tableOf, type TestServer } from './harness.js';

const app = (image: string, svcPort: number) => `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: web
    image: ${image}
    ports:
    - containerPort: 80
      name: http
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: ${svcPort}
    targetPort: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  replicas: 1
  selector:
    matchLabels: {app: d}
  template:
    metadata:
      labels: {app: d}
    spec:
      containers:
      - name: c
        image: ${image}
        ports:
        - containerPort: 8080
`;

const node = `apiVersion: v1
kind: Node
metadata:
  name: n1
  labels: {kubernetes.io/hostname: n1}
spec:
  podCIDR: 10.244.1.0/24
  unschedulable: true
status:
  addresses:
  - {type: InternalIP, address: 10.0.0.11}
  - {type: Hostname, address: n1}
  capacity: {cpu: "2", memory: 4Gi, pods: "110"}
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: ready}
`;

describe('kubectl against sextant server', () => {
  let s: TestServer;
  const { k, kFail } = kubectlAsserts(() => s);

  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s?.cleanup();
  });

  test('version reports the server as 1.32', async () => {
    assert.match(await k('version'), /Server Version: v1\.32\.\d+-sextant/);
  });

  test('api-resources lists kinds with short names, groups and scope', async () => {
    const out = await k('api-resources');
    const rows = tableOf(out);
    assert.deepEqual(rows[0], ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const find = (name: string) => rows.find((r) => r[0] === name);
    assert.deepEqual(find('pods'), ['pods', 'po', 'v1', 'true', 'Pod']);
    assert.deepEqual(find('services'), ['services', 'svc', 'v1', 'true', 'Service']);
    assert.deepEqual(find('nodes'), ['nodes', 'no', 'v1', 'false', 'Node']);
    assert.deepEqual(find('deployments'), ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
    assert.deepEqual(find('endpointslices'), ['endpointslices', 'discovery.k8s.io/v1', 'true', 'EndpointSlice']);
  });

  test('apply -f creates, then a changed manifest patches without losing container ports', async () => {
    const first = s.manifest('app.yaml', app('nginx:1.27', 80));
    const created = await k('apply', '-f', first);
    assert.match(created, /^pod\/web created$/m);
    assert.match(created, /^service\/web created$/m);
    assert.match(created, /^deployment\.apps\/d created$/m);
    const second = s.manifest('app2.yaml', app('nginx:1.28', 8080));
    const changed = await k('apply', '-f', second);
    assert.match(changed, /^pod\/web configured$/m);
    assert.match(changed, /^service\/web configured$/m);
    const pod = JSON.parse(await k('get', 'pod', 'web', '-o', 'json'));
    assert.equal(pod.spec.containers[0].image, 'nginx:1.28');
    assert.deepEqual(pod.spec.containers[0].ports, [{ containerPort: 80, name: 'http', protocol: 'TCP' }]);
    const svc = JSON.parse(await k('get', 'svc', 'web', '-o', 'json'));
    assert.deepEqual(svc.spec.ports, [{ port: 8080, targetPort: 80, protocol: 'TCP' }]);
    const d = JSON.parse(await k('get', 'deploy', 'd', '-o', 'json'));
    assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, 8080);
    assert.equal(d.metadata.generation, 2);
    assert.match(await k('apply', '-f', second), /^pod\/web unchanged$/m);
  });

  test('create -f creates, and again answers AlreadyExists', async () => {
    const f = s.manifest('node.yaml', node);
    assert.match(await k('create', '-f', f), /^node\/n1 created$/m);
    assert.match(await kFail('create', '-f', f), /Error from server \(AlreadyExists\).*nodes "n1" already exists/);
  });

  test('get of many kinds across namespaces prints each kind with its columns', async () => {
    const out = await k('get', 'pods,svc,ep,endpointslices,nodes,deploy,rs,ns', '-A');
    assert.match(out, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    assert.match(out, /^default\s+pod\/web\s+0\/1\s+Pending\s+0\s+\S+$/m);
    assert.match(out, /^NAMESPACE\s+NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/m);
    assert.match(out, /^default\s+service\/web\s+ClusterIP\s+\S+\s+<none>\s+8080\/TCP\s+\S+$/m);
    assert.match(out, /^\s*node\/n1\s+Ready,SchedulingDisabled\s+<none>\s+\S+\s*(\S+)?$/m);
    assert.match(out, /^default\s+deployment\.apps\/d\s+0\/1\s+\d+\s+0\s+\S+$/m);
    assert.match(out, /namespace\/kube-system\s+Active/);
  });

  test('get -o wide, yaml, json and name', async () => {
    const wide = await k('get', 'pods', '-o', 'wide');
    assert.equal(cell(wide, 'web', 'STATUS'), 'Pending');
    assert.equal(cell(wide, 'web', 'NODE'), '<none>');
    assert.ok(tableOf(wide)[0]!.includes('IP'));
    const y = parseYaml(await k('get', 'pod', 'web', '-o', 'yaml')) as { kind: string; metadata: { name: string; uid: string; resourceVersion: string } };
    assert.equal(y.kind, 'Pod');
    assert.equal(y.metadata.name, 'web');
    assert.match(y.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(y.metadata.resourceVersion, /^\d+$/);
    const list = JSON.parse(await k('get', 'pods', '-l', 'app=web', '-o', 'json'));
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['web']);
    assert.equal((await k('get', 'pods,svc', '-l', 'app=web', '-o', 'name')).trim(), 'pod/web');
    assert.equal((await k('get', 'pod/web', 'svc/web', '-o', 'name')).trim(), 'pod/web\nservice/web');
  });

  test('get pods -w prints a change made after it started', async () => {
    const w = s.spawnKubectl(['get', 'pods', '-w']);
    let out = '';
    w.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const until = async (re: RegExp) => {
        for (let i = 0; i < 200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100));
        assert.match(out, re);
      };
      await until(/^web\s+0\/1\s+Pending/m);
      await k('run', 'late', '--image=busybox', '--restart=Never');
      await until(/^late\s+0\/1\s+Pending\s+0/m);
    } finally {
      w.kill('SIGTERM');
    }
  });

  test('describe pod, service, node and deployment', async () => {
    const pod = await k('describe', 'pod', 'web');
    assert.match(pod, /^Name:\s+web$/m);
    assert.match(pod, /^Status:\s+Pending$/m);
    assert.match(pod, /^\s+Image:\s+nginx:1\.28$/m);
    const svc = await k('describe', 'svc', 'web');
    assert.match(svc, /^Selector:\s+app=web$/m);
    assert.match(svc, /^Port:\s+<unset>\s+8080\/TCP$/m);
    assert.match(svc, /^TargetPort:\s+80\/TCP$/m);
    const n = await k('describe', 'node', 'n1');
    assert.match(n, /^Name:\s+n1$/m);
    assert.match(n, /InternalIP:\s+10\.0\.0\.11/);
    assert.match(n, /PodCIDR:\s+10\.244\.1\.0\/24/);
    const d = await k('describe', 'deploy', 'd');
    assert.match(d, /^Selector:\s+app=d$/m);
    assert.match(d, /^Replicas:\s+1 desired/m);
  });

  test('expose pod p --type=NodePort --port=80 copies the selector', async () => {
    assert.match(await k('expose', 'pod', 'web', '--type=NodePort', '--port=80', '--name=web-np'), /^service\/web-np exposed$/m);
    const out = await k('get', 'svc', 'web-np');
    assert.equal(cell(out, 'web-np', 'TYPE'), 'NodePort');
    const svc = JSON.parse(await k('get', 'svc', 'web-np', '-o', 'json'));
    assert.deepEqual(svc.spec.selector, { app: 'web' });
    assert.equal(svc.spec.ports[0].port, 80);
  });

  test('scale deploy d --replicas=3 goes through the scale subresource', async () => {
    assert.match(await k('scale', 'deploy', 'd', '--replicas=3'), /^deployment\.apps\/d scaled$/m);
    assert.equal(await k('get', 'deploy', 'd', '-o', 'jsonpath={.spec.replicas}'), '3');
  });

  test('label and annotate', async () => {
    assert.match(await k('label', 'pod', 'web', 'tier=front'), /^pod\/web labeled$/m);
    assert.match(await k('annotate', 'pod', 'web', 'note=hello'), /^pod\/web annotated$/m);
    assert.match(await k('get', 'pods', '-l', 'tier=front', '-o', 'name'), /^pod\/web$/m);
    assert.equal((await k('get', 'pods', '-l', 'tier=back', '-o', 'name')).trim(), '');
    assert.equal(await k('get', 'pod', 'web', '-o', 'jsonpath={.metadata.annotations.note}'), 'hello');
  });

  test('explain service.spec.ports', async () => {
    const out = await k('explain', 'service.spec.ports');
    assert.match(out, /^KIND:\s+Service$/m);
    assert.match(out, /^FIELD:\s+ports <\[\]ServicePort>$/m);
    assert.match(out, /^\s+targetPort\s+<IntOrString>/m);
  });

  test('errors print as Kubernetes Status messages', async () => {
    assert.match(await kFail('get', 'svc', 'zzz'), /^Error from server \(NotFound\): services "zzz" not found$/m);
    const bad = s.manifest('bad.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n  - port: 70000\n');
    const invalid = await kFail('create', '-f', bad);
    assert.match(invalid, /The Service "bad" is invalid/);
    assert.match(invalid, /spec\.ports\[0\]\.port: Invalid value: 70000/);
    const unknown = s.manifest('unknown.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: unk\nspec:\n  bogus: 1\n  ports:\n  - port: 80\n');
    assert.match(await kFail('apply', '-f', unknown), /Error from server \(BadRequest\).*unknown field "spec\.bogus"/);
    assert.match(await kFail('create', '-f', unknown), /unknown field "spec\.bogus"/);
    assert.match(await kFail('get', 'pods', 'x'), /^Error from server \(NotFound\): pods "x" not found$/m);
    assert.match(await kFail('run', 'x', '--image=busybox', '-n', 'nope'), /namespaces "nope" not found/);
    assert.match(await kFail('logs', 'web'), /ServiceUnavailable|not available/);
  });

  test('typed create commands (protobuf bodies): namespace, deployment, service', async () => {
    assert.match(await k('create', 'namespace', 'typed'), /^namespace\/typed created$/m);
    assert.match(await k('create', 'deployment', 'td', '--image=nginx:1.27', '--port=80', '--replicas=2', '-n', 'typed'), /^deployment\.apps\/td created$/m);
    const d = JSON.parse(await k('get', 'deploy', 'td', '-n', 'typed', '-o', 'json'));
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.spec.selector, { matchLabels: { app: 'td' } });
    assert.deepEqual(d.spec.template.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
    assert.match(await k('create', 'service', 'clusterip', 'tsvc', '--tcp=5678:8080', '-n', 'typed'), /^service\/tsvc created$/m);
    const svc = JSON.parse(await k('get', 'svc', 'tsvc', '-n', 'typed', '-o', 'json'));
    assert.deepEqual(svc.spec.ports, [{ name: '5678-8080', port: 5678, protocol: 'TCP', targetPort: 8080 }]);
    assert.match(await k('delete', 'deploy', 'td', '-n', 'typed', '--cascade=foreground'), /^deployment\.apps "td" deleted$/m);
    assert.equal((await k('get', 'deploy,rs,pods', '-n', 'typed', '-o', 'name')).trim(), '', 'the collector removed the dependents first');
    assert.match(await k('delete', 'namespace', 'typed'), /^namespace "typed" deleted$/m);
    assert.match(await kFail('get', 'ns', 'typed'), /namespaces "typed" not found/);
  });

  test('delete svc x and delete -f', async () => {
    assert.match(await k('delete', 'svc', 'web-np'), /^service "web-np" deleted$/m);
    assert.match(await kFail('get', 'svc', 'web-np'), /NotFound/);
    const out = await k('delete', '-f', s.manifest('app3.yaml', app('nginx:1.28', 8080)));
    assert.match(out, /^pod "web" deleted$/m);
    assert.match(out, /^service "web" deleted$/m);
    assert.match(out, /^deployment\.apps "d" deleted$/m);
    // The pods and ReplicaSet of the deployment go in the background (garbage collector).
    const left = async () => (await k('get', 'pods,svc,deploy,rs', '-o', 'name')).trim().split('\n').filter((l) => l && l !== 'service/kubernetes');
    for (let i = 0; i < 100 && (await left()).length > 1; i++) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await left(), ['pod/late']);
  });
});
