import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from './client.js';
import { ApiError, KubeconfigError } from './errors.js';
import { KINDS } from './kinds.js';
import { loadKubeconfig } from './kubeconfig.js';
import { FakeApiServer } from './fake-apiserver.test-helper.js';
import type { Pod } from './pod.js';

const fake = new FakeApiServer();
const dir = mkdtempSync(join(tmpdir(), 'sx-api-client-'));
before(() => fake.start());
after(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } });

function kubeconfig(server: string, user: string): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, `apiVersion: v1
kind: Config
current-context: test
clusters:
- name: c
  cluster:
    server: ${server}
users:
- name: u
  user:
${user}
contexts:
- name: test
  context: {cluster: c, user: u, namespace: team}
`);
  return path;
}

test('ApiClient: create, get, update, patch, list, delete against the HTTP API', async () => {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'secret-from-file\n');
  const client = ApiClient.fromKubeconfig(kubeconfig(fake.url, '    tokenFile: token'));
  assert.equal(client.namespace, 'team');
  const created = await client.create(KINDS.Pod, pod('a'), { fieldManager: 'sextant-test' });
  assert.equal(created.metadata.name, 'a');
  const post = fake.requests.at(-1)!;
  assert.equal(post.path, '/api/v1/namespaces/default/pods');
  assert.equal(post.query.get('fieldManager'), 'sextant-test');
  assert.equal(post.headers.authorization, 'Bearer secret-from-file');
  const got = await client.get(KINDS.Pod, 'default', 'a');
  assert.equal(got.metadata.resourceVersion, created.metadata.resourceVersion);
  await client.update(KINDS.Pod, { ...got, metadata: { ...got.metadata, labels: { app: 'a', v: '2' } } });
  await client.patch(KINDS.Pod, 'default', 'a', { spec: { nodeName: 'n1' } }, 'strategic');
  assert.equal(fake.requests.at(-1)!.headers['content-type'], 'application/strategic-merge-patch+json');
  await client.updateStatus(KINDS.Pod, got).catch(() => undefined);
  assert.equal(fake.requests.at(-1)!.path, '/api/v1/namespaces/default/pods/a/status');
  const list = await client.list(KINDS.Pod, { namespace: 'default', labelSelector: 'v=2' });
  assert.deepEqual(list.items.map((p) => p.metadata.name), ['a']);
  assert.equal(list.items[0]?.spec.nodeName, 'n1');
  await client.request('GET', '/api/v1/namespaces/default/pods/with space/é', { query: { labelSelector: 'a in (x, y)' } }).catch(() => undefined);
  assert.equal(fake.requests.at(-1)!.path, '/api/v1/namespaces/default/pods/with%20space/%C3%A9');
  assert.equal(fake.requests.at(-1)!.query.get('labelSelector'), 'a in (x, y)');
  await client.delete(KINDS.Pod, 'default', 'a', { propagationPolicy: 'Background' });
  assert.deepEqual(JSON.parse(fake.requests.at(-1)!.body), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
  client.close();
});

test('ApiClient: Status answers become ApiError with code, reason, message and causes', async () => {
  const client = new ApiClient({ server: fake.url, token: 't' });
  const cases: { name: string; call: () => Promise<unknown>; code: number; reason: string; message: RegExp; causes?: unknown[] }[] = [
    { name: 'not found', call: () => client.get(KINDS.Pod, 'default', 'nope'), code: 404, reason: 'NotFound', message: /pods "nope" not found/ },
    { name: 'invalid', call: () => client.create(KINDS.Pod, pod('bad')), code: 422, reason: 'Invalid', message: /is invalid/, causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' }] },
    { name: 'unknown path', call: () => client.list(KINDS.Deployment, { namespace: 'default' }), code: 404, reason: 'NotFound', message: /could not find/ },
  ];
  await client.create(KINDS.Pod, pod('dup'));
  cases.push({ name: 'already exists', call: () => client.create(KINDS.Pod, pod('dup')), code: 409, reason: 'AlreadyExists', message: /already exists/ });
  for (const c of cases) {
    await assert.rejects(c.call(), (err: unknown) => {
      assert.ok(err instanceof ApiError, c.name);
      assert.equal(err.code, c.code, c.name);
      assert.equal(err.reason, c.reason, c.name);
      assert.match(err.message, c.message, c.name);
      if (c.causes) assert.deepEqual(err.causes, c.causes);
      return true;
    });
  }
  client.close();
});

test('ApiClient: a refused connection is an ApiError with code 0', async () => {
  const gone = new FakeApiServer();
  await gone.start();
  const url = gone.url;
  await gone.stop();
  const client = new ApiClient({ server: url });
  await assert.rejects(client.get(KINDS.Pod, 'default', 'x'), (err: unknown) => err instanceof ApiError && err.code === 0 && err.reason === 'ConnectionError');
  client.close();
});

test('kubeconfig: inline data, files relative to the kubeconfig, and errors naming the problem', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  writeFileSync(join(dir, 'ca.crt'), pem);
  const b64 = Buffer.from('KEY').toString('base64');
  const cfg = loadKubeconfig(kubeconfig('https://10.0.0.1:6443/', `    client-certificate-data: ${Buffer.from('CERT').toString('base64')}\n    client-key-data: ${b64}\n    token: abc`));
  assert.deepEqual(
    { server: cfg.server, cert: cfg.cert, key: cfg.key, token: cfg.token, namespace: cfg.namespace },
    { server: 'https://10.0.0.1:6443', cert: 'CERT', key: 'KEY', token: 'abc', namespace: 'team' },
  );
  const path = kubeconfig('https://h:1', '    token: x');
  writeFileSync(path, `${readFileSync(path, 'utf8').replace('    server: https://h:1', '    server: https://h:1\n    certificate-authority: ca.crt\n    insecure-skip-tls-verify: true')}`);
  const withCa = loadKubeconfig(path);
  assert.equal(withCa.ca, pem);
  assert.equal(withCa.insecureSkipTLSVerify, true);
  const bad: { user: string; server?: string; message: RegExp }[] = [
    { user: '    client-certificate-data: Q0VSVA==', message: /client certificate and key must be given together/ },
    { user: '    tokenFile: missing-token', message: /cannot read tokenFile/ },
    { user: '    token: x', server: 'ftp://h', message: /server must be an http:\/\/ or https:\/\/ URL/ },
  ];
  for (const b of bad) assert.throws(() => loadKubeconfig(kubeconfig(b.server ?? 'https://h:1', b.user)), (err: unknown) => err instanceof KubeconfigError && b.message.test(err.message));
  assert.throws(() => loadKubeconfig(join(dir, 'absent')), /cannot read kubeconfig/);
  assert.throws(() => loadKubeconfig(path, { context: 'other' }), /context "other" not found/);
});
