/**
 * ApiClient over several servers (real sockets): a kubeconfig listing them, reads and writes moving
 * past a refused server, a 503 moving the client on (reads retried, writes not), and an informer
 * whose watch stream is cut resuming on the next server.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from './client.js';
import { ApiError, KubeconfigError } from './errors.js';
import { FakeApiServer } from './fake-apiserver.test-helper.js';
import { createInformer } from './informer.js';
import { KINDS } from './kinds.js';
import { loadKubeconfig, SERVERS_EXTENSION } from './kubeconfig.js';
import type { Pod } from './pod.js';

const dir = mkdtempSync(join(tmpdir(), 'sx-api-failover-'));
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } });

async function fake(): Promise<FakeApiServer> {
  const f = new FakeApiServer();
  await f.start();
  cleanups.push(() => f.stop());
  return f;
}

/** A URL nothing listens on (a server started and stopped again). */
async function deadUrl(): Promise<string> {
  const f = new FakeApiServer();
  await f.start();
  const url = f.url;
  await f.stop();
  return url;
}

/** A server that answers every request 503 and counts them. */
async function unavailable(): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const s = http.createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(503, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', message: 'etcd: no leader', code: 503 }));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, hits: () => hits };
}

function kubeconfigWith(server: string, extension: string): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, `apiVersion: v1
kind: Config
current-context: t
clusters:
- name: c
  cluster:
    server: ${server}
${extension}
contexts:
- name: t
  context: {cluster: c}
`);
  return path;
}

test('kubeconfig: the sextant.io/servers extension lists the servers to fail over to; bad entries are named', () => {
  const ext = (servers: string) => `    extensions:\n    - name: ${SERVERS_EXTENSION}\n      extension:\n        servers: ${servers}`;
  const cfg = loadKubeconfig(kubeconfigWith('https://10.0.0.1:6443', ext('[https://10.0.0.1:6443/, https://10.0.0.2:6443, https://10.0.0.3:6443]')));
  assert.equal(cfg.server, 'https://10.0.0.1:6443');
  assert.deepEqual(cfg.servers, ['https://10.0.0.2:6443', 'https://10.0.0.3:6443']);
  const other = loadKubeconfig(kubeconfigWith('https://10.0.0.1:6443', '    extensions:\n    - name: example.com/other\n      extension: {a: 1}'));
  assert.equal(other.servers, undefined);
  const cases: { ext: string; message: RegExp }[] = [
    { ext: ext('[ftp://x]'), message: /sextant\.io\/servers: server must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/x"/ },
    { ext: ext('[]'), message: /must list at least one server/ },
    { ext: `    extensions:\n    - name: ${SERVERS_EXTENSION}\n      extension: {servers: nope}`, message: /sextant\.io\/servers: servers:/ },
  ];
  for (const c of cases) assert.throws(() => loadKubeconfig(kubeconfigWith('https://h:1', c.ext)), (err: unknown) => err instanceof KubeconfigError && c.message.test(err.message));
});

test('failover: reads and never-sent writes move past a refused server and stay on the next one', async () => {
  const live = await fake();
  const dead = await deadUrl();
  const path = kubeconfigWith(dead, `    extensions:\n    - name: ${SERVERS_EXTENSION}\n      extension: {servers: [${dead}, ${live.url}]}`);
  const client = ApiClient.fromKubeconfig(path);
  cleanups.push(() => client.close());
  assert.deepEqual(client.servers, [`${dead}/`, `${live.url}/`]);
  const created = await client.create(KINDS.Pod, pod('a'));
  assert.equal(created.metadata.name, 'a');
  assert.equal(client.server.href, `${live.url}/`);
  assert.equal((await client.get(KINDS.Pod, 'default', 'a')).metadata.name, 'a');
  assert.equal(live.requests.filter((r) => r.method === 'POST').length, 1);
});

test('failover: a 503 moves the client on — a read is retried on the next server, a write is not sent twice', async () => {
  const live = await fake();
  live.put('x');
  const down = await unavailable();
  const client = new ApiClient({ server: down.url, servers: [live.url] });
  cleanups.push(() => client.close());
  assert.equal((await client.get(KINDS.Pod, 'default', 'x')).metadata.name, 'x');
  assert.equal(down.hits(), 1);
  const writer = new ApiClient({ server: down.url, servers: [live.url] });
  cleanups.push(() => writer.close());
  await assert.rejects(writer.create(KINDS.Pod, pod('w')), (err: unknown) => err instanceof ApiError && err.code === 503);
  assert.equal(live.requests.filter((r) => r.method === 'POST').length, 0, 'the write was not repeated elsewhere');
  await writer.create(KINDS.Pod, pod('w'));
  assert.equal(live.requests.filter((r) => r.method === 'POST').length, 1, 'the next write went to the next server');
  assert.equal(down.hits(), 2);
});

test('failover: a single server keeps its errors (nothing to fail over to)', async () => {
  const down = await unavailable();
  const client = new ApiClient({ server: down.url });
  cleanups.push(() => client.close());
  await assert.rejects(client.get(KINDS.Pod, 'default', 'x'), (err: unknown) => err instanceof ApiError && err.code === 503);
  await assert.rejects(client.get(KINDS.Pod, 'default', 'x'), (err: unknown) => err instanceof ApiError && err.code === 503);
  assert.equal(down.hits(), 2);
});

test('failover: an informer whose server dies mid-watch resumes on the next server', async () => {
  const a = await fake();
  const b = await fake();
  // the two fakes stand for two servers on one store: same objects at the same versions
  const mirror = (name: string) => {
    a.put(name);
    b.put(name);
  };
  mirror('p1');
  const client = new ApiClient({ server: a.url, servers: [b.url] });
  cleanups.push(() => client.close());
  const seen: string[] = [];
  const inf = createInformer<Pod>(client, KINDS.Pod, { namespace: 'default', backoff: { initialMs: 20, maxMs: 100 } });
  inf.addHandlers({ onAdd: (p) => seen.push(p.metadata.name ?? '') });
  inf.start();
  cleanups.push(() => inf.stop());
  await inf.synced();
  assert.deepEqual(seen, ['p1']);
  const bWatchesBefore = b.watchRequests().length;
  await a.stop();
  mirror('p2');
  for (let i = 0; i < 200 && !seen.includes('p2'); i++) await new Promise((r) => setTimeout(r, 25));
  assert.deepEqual(seen, ['p1', 'p2']);
  assert.equal(client.server.href, `${b.url}/`);
  const resumed = b.watchRequests().slice(bWatchesBefore);
  assert.ok(resumed.length >= 1, 'the watch went to the second server');
  assert.equal(resumed[0]!.query.get('resourceVersion'), a.history.find((h) => h.object.metadata.name === 'p1')!.object.metadata.resourceVersion, 'it resumed from the last seen resourceVersion');
});
