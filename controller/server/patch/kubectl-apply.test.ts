/**
 * The real `kubectl apply` against a minimal in-process server whose PATCH runs applyPatch: the
 * strategic merge patch kubectl computes for a changed manifest must keep the container ports.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { applyPatch } from './apply-patch.js';
import type { JsonObject, JsonValue } from './json.js';

const DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const podsDiscovery = {
  kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {},
  items: [{ metadata: { name: '' }, versions: [{ version: 'v1', freshness: 'Current', resources: [{
    resource: 'pods', responseKind: { group: '', version: 'v1', kind: 'Pod' }, scope: 'Namespaced', singularResource: 'pod',
    shortNames: ['po'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }] }] }],
};

let server: Server;
let dir: string;
let kubeconfig: string;
let stored: JsonObject | undefined;
const patches: { contentType: string; body: string }[] = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const body = Buffer.concat(chunks).toString();
      const send = (code: number, obj: unknown, type = 'application/json') => {
        res.writeHead(code, { 'Content-Type': type });
        res.end(JSON.stringify(obj));
      };
      const notFound = () => send(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "web" not found', details: { name: 'web', kind: 'pods' } });
      if (path === '/version') return send(200, { major: '1', minor: '32', gitVersion: 'v1.32.0' });
      if (path === '/api') return send(200, podsDiscovery, DISCOVERY);
      if (path === '/apis') return send(200, { ...podsDiscovery, items: [] }, DISCOVERY);
      if (path === '/api/v1/namespaces/default/pods' && req.method === 'POST') {
        stored = { ...(JSON.parse(body) as JsonObject), metadata: { ...((JSON.parse(body) as { metadata: JsonObject }).metadata), namespace: 'default', uid: 'u1', resourceVersion: '1', creationTimestamp: new Date().toISOString() } };
        return send(201, stored);
      }
      if (path === '/api/v1/namespaces/default/pods/web') {
        if (!stored) return notFound();
        if (req.method === 'GET') return send(200, stored);
        if (req.method === 'PATCH') {
          const contentType = req.headers['content-type'] ?? '';
          patches.push({ contentType, body });
          stored = applyPatch('Pod', stored as JsonValue, body, contentType) as JsonObject;
          return send(200, stored);
        }
      }
      return notFound();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  dir = mkdtempSync(join(tmpdir(), 'sx-patch-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster: {server: "http://127.0.0.1:${port}"}\ncontexts:\n- name: t\n  context: {cluster: t, user: t, namespace: default}\nusers:\n- name: t\n  user: {}\n`);
});

after(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const apply = (manifest: object) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const file = join(dir, 'pod.json');
    writeFileSync(file, JSON.stringify(manifest));
    execFile('kubectl', ['--kubeconfig', kubeconfig, 'apply', '--validate=false', '-f', file], { env: { ...process.env, HOME: dir }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, stdout, stderr }));
  });

const pod = (image: string, ports: object[], env: object[]) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image, ports, env }] },
});

test('kubectl apply of a changed manifest patches by merge key and keeps the container ports', async () => {
  const first = await apply(pod('nginx:1.27', [{ containerPort: 80 }, { containerPort: 443 }], [{ name: 'A', value: '1' }]));
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /pod\/web created/);

  const second = await apply(pod('nginx:1.28', [{ containerPort: 80 }, { containerPort: 8080 }], [{ name: 'A', value: '1' }, { name: 'B', value: '2' }]));
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /pod\/web configured/);
  assert.equal(patches.length, 1);
  assert.match(patches[0]?.contentType ?? '', /application\/strategic-merge-patch\+json/);
  assert.match(patches[0]?.body ?? '', /\$setElementOrder\/containers/, 'kubectl sent a client-side-apply strategic patch');

  const container = (stored as { spec: { containers: { image: string; ports: { containerPort: number }[]; env: { name: string }[] }[] } }).spec.containers[0];
  assert.equal(container?.image, 'nginx:1.28');
  assert.deepEqual(container?.ports.map((p) => p.containerPort), [80, 8080]);
  assert.deepEqual(container?.env.map((e) => e.name), ['A', 'B']);
});
