import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { inClusterAvailable, inClusterConfig } from './in-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'sx-incluster-'));
const empty = mkdtempSync(join(tmpdir(), 'sx-incluster-empty-'));
writeFileSync(join(dir, 'token'), 'tok.en.value\n');
writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\n');
writeFileSync(join(dir, 'namespace'), 'kube-system');
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

const env = (host?: string, port?: string) => ({ ...(host ? { KUBERNETES_SERVICE_HOST: host } : {}), ...(port ? { KUBERNETES_SERVICE_PORT: port } : {}) });

test('in-cluster config: server from the service variables, token file, CA and namespace from the mounted directory', () => {
  const c = inClusterConfig(env('10.96.0.1', '443'), dir);
  assert.deepEqual(c, { server: 'https://10.96.0.1:443', token: 'tok.en.value', tokenFile: join(dir, 'token'), ca: '-----BEGIN CERTIFICATE-----\n', namespace: 'kube-system' });
  assert.equal(inClusterConfig(env('fd00::1', '6443'), dir).server, 'https://[fd00::1]:6443');
});

const failures: [string, NodeJS.ProcessEnv, string, RegExp][] = [
  ['no host', env(undefined, '443'), dir, /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set/],
  ['bad port', env('10.96.0.1', '443;rm'), dir, /KUBERNETES_SERVICE_PORT: must be a port number/],
  ['no token', env('10.96.0.1', '443'), empty, /cannot read .*token/],
];
for (const [name, e, d, message] of failures) {
  test(`in-cluster config refuses: ${name}`, () => {
    assert.throws(() => inClusterConfig(e, d), message);
  });
}

test('in-cluster is available only with both variables and a token file', () => {
  assert.equal(inClusterAvailable(env('10.96.0.1', '443'), dir), true);
  assert.equal(inClusterAvailable(env('10.96.0.1'), dir), false);
  assert.equal(inClusterAvailable(env('10.96.0.1', '443'), empty), false);
});
