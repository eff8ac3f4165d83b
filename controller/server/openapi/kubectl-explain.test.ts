/**
 * The real kubectl against a minimal HTTP server that serves only /version, aggregated discovery
 * and this module's OpenAPI v3 documents: proves `kubectl explain` reads our documents.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { allKinds, type KindInfo } from '../../api/kinds.js';
import { createOpenApiV3Cache } from './document.js';

const DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const kinds = allKinds();
const cache = createOpenApiV3Cache(kinds);

const resource = (k: KindInfo) => ({
  resource: k.resource,
  responseKind: { group: k.group, version: k.version, kind: k.kind },
  scope: k.namespaced ? 'Namespaced' : 'Cluster',
  singularResource: k.singular,
  shortNames: k.shortNames,
  categories: k.categories,
  verbs: k.verbs,
});
const discovery = (core: boolean) => ({
  kind: 'APIGroupDiscoveryList',
  apiVersion: 'apidiscovery.k8s.io/v2',
  metadata: {},
  items: [...new Set(kinds.filter((k) => (k.group === '') === core).map((k) => k.group))].map((group) => ({
    metadata: { name: group },
    versions: [{ version: 'v1', resources: kinds.filter((k) => k.group === group).map(resource), freshness: 'Current' }],
  })),
});

let server: Server;
let dir: string;
let kubeconfig: string;
const seen: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    seen.push(url);
    const path = url.split('?')[0];
    const send = (body: unknown, type = 'application/json') => {
      res.writeHead(200, { 'Content-Type': type });
      res.end(Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    if (path === '/version') return send({ major: '1', minor: '32', gitVersion: 'v1.32.0' });
    if (path === '/api') return send(discovery(true), DISCOVERY);
    if (path === '/apis') return send(discovery(false), DISCOVERY);
    const doc = cache.lookup(url);
    if (doc) return send(doc.body);
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  dir = mkdtempSync(join(tmpdir(), 'sx-openapi-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config', 'current-context: t',
    'clusters:', `- name: t`, `  cluster: {server: "http://127.0.0.1:${port}"}`,
    'contexts:', '- name: t', '  context: {cluster: t, user: t}',
    'users:', '- name: t', '  user: {}', '',
  ].join('\n'));
});

after(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });

test('kubectl explain service.spec.ports reads our OpenAPI v3', async () => {
  const r = await kubectl('explain', 'service.spec.ports');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /KIND:\s+Service/);
  assert.match(r.stdout, /VERSION:\s+v1/);
  assert.match(r.stdout, /FIELD:\s+ports <\[\]ServicePort>/);
  assert.match(r.stdout, /port\s+<integer> -required-/);
  assert.match(r.stdout, /targetPort\s+<IntOrString>/);
  assert.ok(seen.some((u) => u.startsWith('/openapi/v3/api/v1?hash=')), `fetched the document by its hash URL: ${seen.join(' ')}`);
});

test('kubectl explain of an apps/v1 field through shared core components', async () => {
  const r = await kubectl('explain', 'deployment.spec.template.spec.containers.ports');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /GROUP:\s+apps/);
  assert.match(r.stdout, /containerPort\s+<integer> -required-/);
});
