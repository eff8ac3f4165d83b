/**
 * Identities × verbs × resources against a real `sextant server` with its secure defaults:
 * anonymous, wrong credentials, a foreign CA, static tokens, the role credentials the server
 * writes, two nodes (node restriction: own Node/Lease, only pods bound to it) and
 * service-account tokens issued through TokenRequest.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { issueCertificate } from '../../controller/auth/pki.js';
import { newKeyPair } from '../../controller/auth/x509/certificate.js';
import { startSecureServer, type Credential, type SecureServer } from './secure-server.js';

let s: SecureServer;
const ids: Record<string, Credential> = {};
const STATIC_TOKEN = 'jane-static-token-0123456789';

const pod = (name: string, nodeName: string, serviceAccountName?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName, ...(serviceAccountName ? { serviceAccountName } : {}), containers: [{ name: 'c', image: 'x' }] },
});
const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
const lease = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name } });
const svc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
const tokenRequest = (podName: string) => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: podName } } });
const MERGE = 'application/merge-patch+json';

before(async () => {
  s = await startSecureServer(['--token-auth-file', '$DIR/tokens.csv', '--node-credentials', 'n1,n2'], {
    'tokens.csv': `# token,user,uid,groups\n${STATIC_TOKEN},jane,1001,"sextant:viewers,dev"\n`,
  });
  for (const r of ['admin', 'viewer', 'proxy', 'dns', 'node-n1', 'node-n2']) ids[r] = s.credential(r);
  ids.anonymous = {};
  ids['bad-token'] = { token: 'not-a-valid-token-at-all' };
  ids.jane = { token: STATIC_TOKEN };
  const foreignCa = newKeyPair();
  const foreign = issueCertificate({ caKey: foreignCa.privateKey }, { commonName: 'kubernetes-admin', organizations: ['system:masters'], usage: 'client' });
  ids['foreign-ca-admin'] = { cert: foreign.certPem, key: foreign.keyPem };
  const a = ids.admin!;
  for (const body of [node('n1'), node('n2')]) assert.equal((await s.call(a, 'POST', '/api/v1/nodes', body)).code, 201);
  for (const body of [pod('p1', 'n1'), pod('p2', 'n2'), pod('dns1', 'n1', 'coredns'), pod('victim', 'n2')])
    assert.equal((await s.call(a, 'POST', '/api/v1/namespaces/default/pods', body)).code, 201);
  const dnsToken = await s.call(a, 'POST', '/api/v1/namespaces/default/serviceaccounts/coredns/token', tokenRequest('dns1'));
  assert.equal(dnsToken.code, 201, dnsToken.body);
  // The coredns binding is for kube-system; a default-namespace coredns account has no role.
  ids['sa:default/coredns'] = { token: dnsToken.json!.status!.token! };
  const ksToken = await s.call(a, 'POST', '/api/v1/namespaces/kube-system/serviceaccounts/coredns/token', { spec: {} });
  assert.equal(ksToken.code, 201, ksToken.body);
  ids['sa:kube-system/coredns'] = { token: ksToken.json!.status!.token! };
});

after(async () => {
  await s?.cleanup();
});

type Case = [who: string, method: string, path: string, want: number, body?: unknown, contentType?: string, message?: RegExp];

const cases: Case[] = [
  ['anonymous', 'GET', '/healthz', 200],
  ['anonymous', 'GET', '/livez', 200],
  ['anonymous', 'GET', '/readyz', 200],
  ['anonymous', 'GET', '/version', 200],
  ['anonymous', 'GET', '/api/v1/pods', 401],
  ['anonymous', 'GET', '/api', 401],
  ['anonymous', 'GET', '/metrics', 401],
  ['anonymous', 'GET', '/openapi/v3', 401],
  ['bad-token', 'GET', '/api/v1/pods', 401],
  ['bad-token', 'GET', '/healthz', 401],
  ['foreign-ca-admin', 'GET', '/api/v1/pods', 401],
  ['admin', 'GET', '/api/v1/pods', 200],
  ['admin', 'GET', '/metrics', 200],
  ['admin', 'POST', '/api/v1/namespaces/default/services', 201, svc('web')],
  ['viewer', 'GET', '/api/v1/namespaces/default/pods', 200],
  ['viewer', 'GET', '/apis/apps/v1/deployments', 200],
  ['viewer', 'GET', '/api', 200],
  ['viewer', 'POST', '/api/v1/namespaces/default/services', 403, svc('v'), undefined, /User "sextant:viewer" cannot create resource "services" in API group "" in the namespace "default"/],
  ['viewer', 'DELETE', '/api/v1/namespaces/default/pods/p1', 403],
  ['viewer', 'GET', '/metrics', 403, undefined, undefined, /cannot get path "\/metrics"/],
  ['jane', 'GET', '/api/v1/namespaces/default/services', 200],
  ['jane', 'PATCH', '/api/v1/namespaces/default/services/web', 403, { metadata: { labels: { a: 'b' } } }, MERGE],
  ['node-n1', 'GET', '/api/v1/nodes', 200],
  ['node-n1', 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1', 200],
  ['node-n1', 'GET', '/apis/discovery.k8s.io/v1/endpointslices', 200],
  ['node-n1', 'PATCH', '/api/v1/nodes/n1/status', 200, { status: { phase: 'Running' } }, MERGE],
  ['node-n1', 'PATCH', '/api/v1/nodes/n1', 200, { metadata: { labels: { mine: 'yes' } } }, MERGE],
  ['node-n1', 'PATCH', '/api/v1/nodes/n2', 403, { metadata: { labels: { evil: 'yes' } } }, MERGE, /may only modify its own Node/],
  ['node-n1', 'PATCH', '/api/v1/nodes/n2/status', 403, { status: { phase: 'Pending' } }, MERGE],
  ['node-n1', 'DELETE', '/api/v1/nodes/n1', 403],
  ['node-n1', 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', 201, lease('n1')],
  ['node-n1', 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', 403, lease('n2'), undefined, /own Lease/],
  ['node-n1', 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', 403, { ...lease('n1'), metadata: { name: 'n1', namespace: 'default' } }],
  ['node-n1', 'PATCH', '/api/v1/namespaces/default/pods/p1/status', 200, { status: { phase: 'Running', podIP: '10.244.1.5' } }, MERGE],
  ['node-n1', 'PATCH', '/api/v1/namespaces/default/pods/p2/status', 403, { status: { phase: 'Failed' } }, MERGE, /bound to "n2"/],
  ['node-n1', 'PATCH', '/api/v1/namespaces/default/pods/p1', 403, { metadata: { labels: { x: 'y' } } }, MERGE],
  ['node-n1', 'POST', '/api/v1/namespaces/default/pods', 403, pod('sneaky', 'n1')],
  ['node-n1', 'DELETE', '/api/v1/namespaces/default/pods/victim', 403, undefined, undefined, /bound to "n2"/],
  ['node-n1', 'POST', '/api/v1/namespaces/default/services', 403, svc('n1svc')],
  ['node-n1', 'POST', '/api/v1/namespaces/default/serviceaccounts/default/token', 201, tokenRequest('p1')],
  ['node-n1', 'POST', '/api/v1/namespaces/default/serviceaccounts/default/token', 403, tokenRequest('p2')],
  ['node-n1', 'POST', '/api/v1/namespaces/default/serviceaccounts/default/token', 403, { spec: {} }],
  ['node-n2', 'PATCH', '/api/v1/namespaces/default/pods/p2/status', 200, { status: { phase: 'Running' } }, MERGE],
  ['node-n2', 'PATCH', '/api/v1/namespaces/default/pods/p1/status', 403, { status: { phase: 'Failed' } }, MERGE],
  ['proxy', 'GET', '/api/v1/services', 200],
  ['proxy', 'GET', '/apis/discovery.k8s.io/v1/endpointslices?watch=true&timeoutSeconds=1', 200],
  ['proxy', 'GET', '/api/v1/nodes', 200],
  ['proxy', 'GET', '/api/v1/pods', 200],
  ['proxy', 'POST', '/api/v1/namespaces/default/services', 403, svc('p')],
  ['proxy', 'GET', '/apis/apps/v1/deployments', 403],
  ['dns', 'GET', '/api/v1/services', 200],
  ['dns', 'GET', '/apis/discovery.k8s.io/v1/endpointslices', 200],
  ['dns', 'DELETE', '/api/v1/namespaces/default/services/web', 403],
  ['sa:kube-system/coredns', 'GET', '/api/v1/services', 200],
  ['sa:kube-system/coredns', 'POST', '/api/v1/namespaces/default/services', 403, svc('sa')],
  ['sa:default/coredns', 'GET', '/api/v1/services', 403, undefined, undefined, /system:serviceaccount:default:coredns/],
  ['node-n1', 'DELETE', '/api/v1/namespaces/default/pods/p1', 200],
];

test('every identity gets exactly the access its role grants', async () => {
  const problems: string[] = [];
  for (const [who, method, path, want, body, ct, message] of cases) {
    const got = await s.call(ids[who]!, method, path, body, ct);
    const label = `${who} ${method} ${path}`;
    if (got.code !== want) problems.push(`${label}: want ${want}, got ${got.code} ${got.body.slice(0, 200)}`);
    else if (want >= 400 && got.json?.reason === undefined) problems.push(`${label}: ${want} without a Status body`);
    else if (message && !message.test(got.json?.message ?? '')) problems.push(`${label}: message ${JSON.stringify(got.json?.message)} does not match ${message}`);
  }
  assert.deepEqual(problems, []);
});

test('a pod the other node tried to change is untouched', async () => {
  const got = await s.call(ids.admin!, 'GET', '/api/v1/namespaces/default/pods/p2');
  assert.equal(got.code, 200);
  const p = JSON.parse(got.body) as { status?: { phase?: string } };
  assert.equal(p.status?.phase, 'Running', 'n2 set Running; n1 tried Failed and was refused');
  const victim = await s.call(ids.admin!, 'GET', '/api/v1/namespaces/default/pods/victim');
  assert.equal(victim.code, 200, 'n1 could not delete a pod bound to n2');
});

test('kubectl with the written admin kubeconfig works and a viewer sees a Forbidden it can read', async () => {
  const { execFileSync, spawnSync } = await import('node:child_process');
  const env = { PATH: process.env.PATH ?? '/usr/bin', HOME: s.dir };
  const out = execFileSync('/usr/bin/kubectl', ['--kubeconfig', `${s.dir}/kubeconfig`, 'get', 'svc', 'web', '-o', 'name'], { env }).toString();
  assert.equal(out.trim(), 'service/web');
  const denied = spawnSync('/usr/bin/kubectl', ['--kubeconfig', `${s.dataDir}/credentials/viewer.kubeconfig`, 'delete', 'svc', 'web'], { env });
  assert.notEqual(denied.status, 0);
  assert.match(denied.stderr.toString(), /Error from server \(Forbidden\): services "web" is forbidden: User "sextant:viewer" cannot delete resource "services"/);
});
