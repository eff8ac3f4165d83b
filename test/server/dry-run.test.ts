/**
 * Server-side dry run (`?dryRun=All`, DeleteOptions.dryRun) with the real kubectl: create, apply
 * (create and patch) and delete are defaulted, validated and admitted — the Service allocator
 * picks a ClusterIP — but nothing is stored and nothing stays allocated.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { kubectlAsserts, startTestServer, type TestServer } from './harness.js';

const pod = (name: string, image: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  containers:
  - name: c
    image: ${image}
    ports:
    - containerPort: 80
`;

const service = (name: string, port: number, clusterIP?: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {app: ${name}}
${clusterIP ? `  clusterIP: ${clusterIP}\n` : ''}  ports:
  - port: ${port}
    targetPort: 80
`;

interface Obj {
  metadata: { name: string; uid?: string; resourceVersion?: string; creationTimestamp?: string; deletionTimestamp?: string };
  spec: Record<string, unknown> & { containers?: { image: string; ports: { protocol?: string }[] }[]; clusterIP?: string; restartPolicy?: string };
  status?: { phase?: string };
}

describe('server-side dry run with kubectl', () => {
  let s: TestServer;
  const { k, kFail } = kubectlAsserts(() => s);

  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s?.cleanup();
  });

  test('create --dry-run=server -o yaml answers the defaulted object and stores nothing', async () => {
    const out = parseYaml(await k('create', '--dry-run=server', '-o', 'yaml', '-f', s.manifest('p.yaml', pod('dry', 'nginx:1.27')))) as Obj;
    assert.equal(out.metadata.name, 'dry');
    assert.match(out.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(out.metadata.creationTimestamp, 'creationTimestamp set');
    assert.equal(out.metadata.resourceVersion, undefined, 'a dry-run create has no resourceVersion');
    assert.equal(out.spec.restartPolicy, 'Always');
    assert.equal(out.spec.containers![0]!.ports[0]!.protocol, 'TCP');
    assert.equal(out.status?.phase, 'Pending');
    assert.match(await kFail('get', 'pod', 'dry'), /pods "dry" not found/);
  });

  test('dry-run create is validated and admitted like a real one', async () => {
    assert.match(await kFail('create', '--dry-run=server', '-f', s.manifest('bad.yaml', service('bad', 70000))), /The Service "bad" is invalid: spec\.ports\[0\]\.port/);
    await k('create', '-f', s.manifest('real.yaml', pod('real', 'nginx:1.27')));
    assert.match(await kFail('create', '--dry-run=server', '-f', s.manifest('real.yaml', pod('real', 'nginx:1.27'))), /AlreadyExists.*pods "real" already exists/);
    assert.match(await kFail('create', '--dry-run=server', '-n', 'nowhere', '-f', s.manifest('p2.yaml', pod('p2', 'nginx:1.27'))), /namespaces "nowhere" not found/);
  });

  test('apply --dry-run=server of a new Service shows an allocated ClusterIP that stays free', async () => {
    const f = s.manifest('svc.yaml', service('dsvc', 80));
    assert.match(await k('apply', '--dry-run=server', '-f', f), /^service\/dsvc created \(server dry run\)$/m);
    const out = JSON.parse(await k('apply', '--dry-run=server', '-o', 'json', '-f', f)) as Obj;
    const ip = out.spec.clusterIP!;
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/, 'the allocator chose an address');
    assert.match(await kFail('get', 'svc', 'dsvc'), /services "dsvc" not found/);
    // Not kept: a real Service can take exactly that address.
    await k('create', '-f', s.manifest('taker.yaml', service('taker', 80, ip)));
    assert.equal((JSON.parse(await k('get', 'svc', 'taker', '-o', 'json')) as Obj).spec.clusterIP, ip);
  });

  test('apply --dry-run=server of a change answers the patched object and leaves the stored one', async () => {
    await k('apply', '-f', s.manifest('web.yaml', pod('web', 'nginx:1.27')));
    const before = JSON.parse(await k('get', 'pod', 'web', '-o', 'json')) as Obj;
    const f2 = s.manifest('web2.yaml', pod('web', 'nginx:1.28'));
    assert.match(await k('apply', '--dry-run=server', '-f', f2), /^pod\/web configured \(server dry run\)$/m);
    const would = JSON.parse(await k('apply', '--dry-run=server', '-o', 'json', '-f', f2)) as Obj;
    assert.equal(would.spec.containers![0]!.image, 'nginx:1.28');
    const stored = JSON.parse(await k('get', 'pod', 'web', '-o', 'json')) as Obj;
    assert.equal(stored.spec.containers![0]!.image, 'nginx:1.27');
    assert.equal(stored.metadata.resourceVersion, before.metadata.resourceVersion, 'nothing was written');
  });

  test('delete --dry-run=server reports the delete and keeps the object, and a namespace keeps its contents', async () => {
    assert.match(await k('delete', '--dry-run=server', 'pod', 'real'), /^pod "real" deleted \(server dry run\)$/m);
    const kept = JSON.parse(await k('get', 'pod', 'real', '-o', 'json')) as Obj;
    assert.equal(kept.metadata.deletionTimestamp, undefined);
    await k('create', 'namespace', 'dryns');
    await k('create', '-n', 'dryns', '-f', s.manifest('inns.yaml', pod('inside', 'nginx:1.27')));
    assert.match(await k('delete', '--dry-run=server', 'namespace', 'dryns'), /^namespace "dryns" deleted \(server dry run\)$/m);
    assert.match(await k('get', 'pod', 'inside', '-n', 'dryns', '-o', 'name'), /^pod\/inside$/m);
    assert.match(await k('get', 'ns', 'dryns', '-o', 'name'), /^namespace\/dryns$/m);
    assert.match(await kFail('delete', '--dry-run=server', 'pod', 'ghost'), /pods "ghost" not found/);
  });
});
