/**
 * The store on an etcd that serves its clients over TLS and requires client certificates (a real
 * member; CA, server and client certificates made with openssl for the test): creates, reads,
 * lists and watches work with the CA and client certificate given; without the client
 * certificate every call fails as `Unavailable` within the request timeout (never a hang).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isStoreError } from '../errors.js';
import type { Store, WatchEvent } from '../store.js';
import { startEtcdCluster, type EtcdCluster } from './etcd-cluster.test-helper.js';
import { openEtcdStore } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'sx-etcd-tls-'));
const f = (name: string) => join(dir, name);
let cluster: EtcdCluster | undefined;
const stores: Store[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** A key pair and a certificate signed by the test CA, for 127.0.0.1, server and client use. */
function issue(name: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`);
  writeFileSync(f(`${name}.ext`), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`));
}

before(async () => {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=sx-etcd-test-ca');
  issue('server');
  issue('client');
  cluster = await startEtcdCluster(1, { tls: { caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key') } });
});
after(async () => {
  for (const s of stores) await s.close();
  await cluster?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

test('over TLS with a client certificate: create, get, list and watch work', async () => {
  const s = await openEtcdStore({ endpoints: cluster!.endpoints, prefix: '/tls', tls: { caFile: f('ca.crt'), certFile: f('client.crt'), keyFile: f('client.key') }, history: { intervalMs: 0 } });
  stores.push(s);
  assert.match(cluster!.endpoints[0]!, /^https:/);
  const events: WatchEvent[] = [];
  const w = s.watch('/core/pods/a/', { fromRevision: 0, onEvent: (e) => events.push(e), onError: () => undefined });
  const created = await s.create('/core/pods/a/p1', { kind: 'Pod', metadata: { name: 'p1', namespace: 'a' } });
  const got = await s.get('/core/pods/a/p1');
  assert.equal(got?.metadata?.resourceVersion, created.metadata?.resourceVersion);
  assert.deepEqual((await s.list('/core/pods/a/')).items.map((o) => o.metadata?.name), ['p1']);
  const deadline = Date.now() + 5000;
  while (!events.some((e) => e.object.metadata?.name === 'p1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  w.stop();
  assert.ok(events.some((e) => e.object.metadata?.name === 'p1'), 'the watch saw the create');
});

test('over TLS without the client certificate: calls fail as Unavailable within the request timeout', async () => {
  const s = await openEtcdStore({ endpoints: cluster!.endpoints, prefix: '/tls', tls: { caFile: f('ca.crt') }, requestTimeoutMs: 1500, history: { intervalMs: 0 } });
  stores.push(s);
  const t0 = Date.now();
  await assert.rejects(s.get('/core/pods/a/p1'), (e: unknown) => isStoreError(e, 'Unavailable'));
  assert.ok(Date.now() - t0 < 5000, 'failed within the request timeout (plus slack), not hung');
});
