/**
 * The HTTP API in-process over a memory store and real sockets: bad input, preconditions,
 * subresources, graceful deletion, watch semantics, discovery and metrics.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { allKinds } from '../api/kinds.js';
import { createMemoryStore } from '../store/memory/index.js';
import { createLogger } from '../../daemon/logger.js';
import { startApiServer, type ApiServer } from './api-server.js';
import { serverParts } from './parts.js';

type Json = Record<string, any>;

let srv: ApiServer;
const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const r = await fetch(srv.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await r.text();
  let json: Json = {};
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: r.status, body: json, headers: r.headers };
};

/** Opens a watch and collects events until `done(events)` or the stream ends. */
function watch(path: string, done: (events: Json[]) => boolean, headers: Record<string, string> = {}): Promise<{ events: Json[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const events: Json[] = [];
    let buf = '';
    const req = http.get(srv.url + path, { headers }, (res) => {
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
        if (done(events)) {
          req.destroy();
          resolve({ events, ended: false });
        }
      });
      res.on('end', () => resolve({ events, ended: true }));
    });
    req.on('error', (e) => (events.length ? resolve({ events, ended: false }) : reject(e)));
  });
}

const pod = (name: string, extra: Json = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'a' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  ...extra,
});
const pods = '/api/v1/namespaces/default/pods';

describe('API server over HTTP', () => {
  before(async () => {
    srv = await startApiServer({
      store: createMemoryStore({ history: { revisions: 1000, ageMs: 60_000, intervalMs: 60_000 } }),
      log: createLogger('test', { silent: true }),
      listen: '127.0.0.1:0',
      bookmarkIntervalMs: 200,
      ...serverParts(allKinds()),
    });
  });
  after(async () => {
    await srv.close();
    await srv.registry.store.close();
  });

  test('aggregated discovery answers with its exact Content-Type; legacy lists subresources', async () => {
    const agg = await call('GET', '/apis', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    assert.equal(agg.headers.get('content-type'), 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const apps = agg.body.items.find((g: Json) => g.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((r: Json) => r.resource === 'deployments');
    assert.deepEqual(deploy.shortNames, ['deploy']);
    assert.deepEqual(deploy.subresources.find((s: Json) => s.subresource === 'scale').responseKind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const legacy = await call('GET', '/api/v1');
    const names = legacy.body.resources.map((r: Json) => r.name);
    for (const n of ['pods', 'pods/status', 'pods/binding', 'pods/log', 'services', 'namespaces']) assert.ok(names.includes(n), n);
    const groups = await call('GET', '/apis', undefined, { accept: 'application/json' });
    assert.equal(groups.body.kind, 'APIGroupList');
  });

  const badInput: { name: string; method: string; path: string; body: string | Json; ct?: string; status: number; reason: string; message: RegExp }[] = [
    { name: 'malformed JSON', method: 'POST', path: pods, body: '{"kind":', status: 400, reason: 'BadRequest', message: /error decoding JSON/ },
    { name: 'malformed YAML', method: 'POST', path: pods, body: 'a: [b', ct: 'application/yaml', status: 400, reason: 'BadRequest', message: /error decoding YAML/ },
    { name: 'wrong kind for the URL', method: 'POST', path: pods, body: { ...pod('k'), kind: 'Service' }, status: 400, reason: 'BadRequest', message: /kind in the data \(Service\) does not match the expected kind \(Pod\)/ },
    { name: 'wrong apiVersion', method: 'POST', path: pods, body: { ...pod('k'), apiVersion: 'apps/v1' }, status: 400, reason: 'BadRequest', message: /API version in the data \(apps\/v1\)/ },
    { name: 'namespace in body differs', method: 'POST', path: pods, body: { ...pod('k'), metadata: { name: 'k', namespace: 'other' } }, status: 400, reason: 'BadRequest', message: /namespace of the provided object does not match/ },
    { name: 'missing namespace', method: 'POST', path: '/api/v1/namespaces/nope/pods', body: pod('k'), status: 404, reason: 'NotFound', message: /^namespaces "nope" not found$/ },
    { name: 'invalid object', method: 'POST', path: pods, body: { ...pod('Bad_Name') }, status: 422, reason: 'Invalid', message: /metadata\.name/ },
    { name: 'unknown field under Strict', method: 'POST', path: `${pods}?fieldValidation=Strict`, body: { ...pod('k'), spec: { containers: [{ name: 'c', image: 'i', imagee: 'x' }] } }, status: 400, reason: 'BadRequest', message: /unknown field "spec\.containers\[0\]\.imagee"/ },
    { name: 'bad label selector', method: 'GET', path: `${pods}?labelSelector=a%20in%20(`, body: '', status: 400, reason: 'BadRequest', message: /labelSelector/ },
    { name: 'unsupported field selector', method: 'GET', path: `${pods}?fieldSelector=spec.bogus%3Dx`, body: '', status: 400, reason: 'BadRequest', message: /fieldSelector/ },
    { name: 'unknown resource', method: 'GET', path: '/api/v1/widgets', body: '', status: 404, reason: 'NotFound', message: /could not find the requested resource/ },
    { name: 'server-side apply', method: 'PATCH', path: `${pods}/x`, body: '{}', ct: 'application/apply-patch+yaml', status: 415, reason: 'UnsupportedMediaType', message: /server-side apply/ },
  ];
  for (const c of badInput) {
    test(`bad input: ${c.name} → ${c.status}`, async () => {
      const r = await call(c.method, c.path, c.method === 'GET' ? undefined : c.body, c.ct ? { 'content-type': c.ct } : {});
      assert.equal(r.status, c.status, JSON.stringify(r.body));
      assert.equal(r.body.kind, 'Status');
      assert.equal(r.body.reason, c.reason);
      assert.equal(r.body.code, c.status);
      assert.match(r.body.message, c.message);
    });
  }

  test('invalid objects carry causes naming the field', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 0 }] } });
    assert.equal(r.status, 422);
    assert.ok(r.body.details.causes.some((c: Json) => c.field === 'spec.ports[0].port'), JSON.stringify(r.body));
  });

  test('a body over 3 MiB is 413', async () => {
    const big = JSON.stringify({ ...pod('big'), metadata: { name: 'big', annotations: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } } });
    const r = await call('POST', pods, big);
    assert.equal(r.status, 413);
    assert.equal(r.body.reason, 'RequestEntityTooLarge');
  });

  test('create sets server fields; generateName completes the name', async () => {
    const r = await call('POST', pods, { ...pod(''), metadata: { generateName: 'gen-' } });
    assert.equal(r.status, 201);
    assert.match(r.body.metadata.name, /^gen-[a-z0-9]{5}$/);
    assert.match(r.body.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.equal(r.body.metadata.generation, 1);
    assert.match(r.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(r.body.status.phase, 'Pending');
  });

  test('update: stale resourceVersion is 409; name mismatch 400; generation moves only with spec', async () => {
    const c = await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const path = '/apis/apps/v1/namespaces/default/deployments/d';
    const labelled = await call('PUT', path, { ...c.body, metadata: { ...c.body.metadata, labels: { x: 'y' } } });
    assert.equal(labelled.status, 200);
    assert.equal(labelled.body.metadata.generation, 1);
    const stale = await call('PUT', path, c.body);
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    const renamed = await call('PUT', path, { ...labelled.body, metadata: { ...labelled.body.metadata, name: 'other' } });
    assert.equal(renamed.status, 400);
    assert.match(renamed.body.message, /does not match the name on the URL/);
    const spec = structuredClone(labelled.body);
    spec.spec.replicas = 4;
    spec.status = { replicas: 99 };
    const bumped = await call('PUT', path, spec);
    assert.equal(bumped.body.metadata.generation, 2);
    assert.equal(bumped.body.status?.replicas, undefined, 'main resource ignores status');
    const st = await call('PUT', `${path}/status`, { ...bumped.body, spec: { ...bumped.body.spec, replicas: 1 }, status: { replicas: 3 } });
    assert.equal(st.status, 200);
    assert.equal(st.body.status.replicas, 3);
    assert.equal(st.body.spec.replicas, 4, 'status ignores spec');
    const scale = await call('GET', `${path}/scale`);
    assert.deepEqual([scale.body.kind, scale.body.apiVersion, scale.body.spec.replicas, scale.body.status.replicas, scale.body.status.selector], ['Scale', 'autoscaling/v1', 4, 3, 'a=b']);
  });

  test('finalizers hold a deleted object until the last one goes', async () => {
    await call('POST', pods, { ...pod('fin'), metadata: { name: 'fin', finalizers: ['example.com/hold'] } });
    const d = await call('DELETE', `${pods}/fin`);
    assert.equal(d.status, 200);
    assert.ok(d.body.metadata.deletionTimestamp);
    assert.equal((await call('GET', `${pods}/fin`)).status, 200);
    const p = await call('PATCH', `${pods}/fin`, { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal((await call('GET', `${pods}/fin`)).status, 404);
  });

  test('Foreground and Orphan deletes of an owner kind add the collector finalizer and mark the object', async () => {
    const dep = (name: string) => ({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
      spec: { selector: { matchLabels: { a: name } }, template: { metadata: { labels: { a: name } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    });
    const base = '/apis/apps/v1/namespaces/default/deployments';
    for (const [policy, finalizer] of [['Foreground', 'foregroundDeletion'], ['Orphan', 'orphan']] as const) {
      const name = `prop-${finalizer.toLowerCase()}`;
      await call('POST', base, dep(name));
      const d = await call('DELETE', `${base}/${name}`, { propagationPolicy: policy });
      assert.equal(d.status, 200);
      assert.deepEqual(d.body.metadata.finalizers, [finalizer]);
      assert.ok(d.body.metadata.deletionTimestamp);
      const done = await call('PATCH', `${base}/${name}`, { metadata: { finalizers: [] } }, { 'content-type': 'application/merge-patch+json' });
      assert.equal(done.status, 200);
      assert.equal((await call('GET', `${base}/${name}`)).status, 404, 'gone once the collector removes its finalizer');
    }
    await call('POST', pods, pod('fg-pod'));
    assert.equal((await call('DELETE', `${pods}/fg-pod`, { propagationPolicy: 'Foreground' })).body.status, 'Success', 'kinds that own nothing go at once');
  });

  test('binding sets nodeName once; a bound pod waits for the node agent on graceful delete', async () => {
    await call('POST', pods, pod('bound'));
    const b = await call('POST', `${pods}/bound/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound' }, target: { kind: 'Node', name: 'n1' } });
    assert.equal(b.status, 201, JSON.stringify(b.body));
    assert.equal((await call('GET', `${pods}/bound`)).body.spec.nodeName, 'n1');
    const again = await call('POST', `${pods}/bound/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound' }, target: { kind: 'Node', name: 'n2' } });
    assert.equal(again.status, 409);
    const d = await call('DELETE', `${pods}/bound`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
    assert.equal(d.body.metadata.deletionGracePeriodSeconds, 30);
    assert.equal((await call('GET', `${pods}/bound`)).status, 200);
    const confirm = await call('DELETE', `${pods}/bound?gracePeriodSeconds=0`);
    assert.equal(confirm.body.status, 'Success');
    assert.equal((await call('GET', `${pods}/bound`)).status, 404);
    await call('POST', pods, pod('unbound'));
    assert.equal((await call('DELETE', `${pods}/unbound`)).body.status, 'Success', 'a pod on no node goes at once');
  });

  test('list pages with limit and continue; delete collection by label', async () => {
    for (const n of ['p1', 'p2', 'p3']) await call('POST', '/api/v1/namespaces/kube-public/pods', { ...pod(n), metadata: { name: n, labels: { page: 'yes' } } });
    const first = await call('GET', '/api/v1/namespaces/kube-public/pods?limit=2');
    assert.equal(first.body.items.length, 2);
    assert.ok(first.body.metadata.continue);
    const second = await call('GET', `/api/v1/namespaces/kube-public/pods?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    assert.deepEqual(second.body.items.map((p: Json) => p.metadata.name), ['p3']);
    const del = await call('DELETE', '/api/v1/namespaces/kube-public/pods?labelSelector=page%3Dyes');
    assert.equal(del.body.items.length, 3);
    assert.equal((await call('GET', '/api/v1/namespaces/kube-public/pods')).body.items.length, 0);
  });

  test('watch from 0 replays state; from N sends later changes; selectors turn moves into ADDED/DELETED', async () => {
    const ns = '/api/v1/namespaces/kube-node-lease/pods';
    const created = await call('POST', ns, { ...pod('w1'), metadata: { name: 'w1', labels: { sel: 'in' } } });
    const replay = await watch(`${ns}?watch=true&resourceVersion=0`, (e) => e.length >= 1);
    assert.deepEqual(replay.events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'w1']]);
    const rv = created.body.metadata.resourceVersion;
    const pending = watch(`${ns}?watch=true&resourceVersion=${rv}&labelSelector=sel%3Din`, (e) => e.length >= 2);
    await new Promise((r) => setTimeout(r, 100));
    await call('PATCH', `${ns}/w1`, { metadata: { labels: { sel: 'out' } } }, { 'content-type': 'application/merge-patch+json' });
    await call('POST', ns, { ...pod('w2'), metadata: { name: 'w2', labels: { sel: 'in' } } });
    const got = await pending;
    assert.deepEqual(got.events.map((e) => [e.type, e.object.metadata.name]), [['DELETED', 'w1'], ['ADDED', 'w2']]);
  });

  test('watch: bookmarks when allowed, timeoutSeconds ends the stream, Table watches carry one-row Tables', async () => {
    const b = await watch(`${pods}?watch=true&allowWatchBookmarks=true&resourceVersion=1`, (e) => e.some((x) => x.type === 'BOOKMARK'));
    const bm = b.events.find((x) => x.type === 'BOOKMARK')!;
    assert.match(bm.object.metadata.resourceVersion, /^\d+$/);
    assert.ok(Number(bm.object.metadata.resourceVersion) > 1);
    const t0 = Date.now();
    const timed = await watch(`${pods}?watch=true&timeoutSeconds=1`, () => false);
    assert.ok(timed.ended && Date.now() - t0 >= 900);
    const table = await watch(`${pods}?watch=true`, (e) => e.length >= 1, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    const obj = table.events[0]!.object;
    assert.equal(obj.kind, 'Table');
    assert.equal(obj.rows.length, 1);
    assert.equal(obj.rows[0].object.kind, 'PartialObjectMetadata');
  });

  test('Table list carries resourceVersion and row objects', async () => {
    const r = await call('GET', `${pods}?includeObject=Object`, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal(r.body.kind, 'Table');
    assert.match(r.body.metadata.resourceVersion, /^\d+$/);
    assert.deepEqual(r.body.columnDefinitions.slice(0, 5).map((c: Json) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    assert.equal(r.body.rows[0].object.kind, 'Pod');
  });

  test('metrics count requests by verb, resource and code', async () => {
    const r = await fetch(`${srv.url}/metrics`);
    const text = await r.text();
    assert.match(text, /apiserver_request_total\{verb="CREATE",resource="pods",code="201"\} \d+/);
    assert.match(text, /apiserver_request_total\{verb="GET",resource="pods",code="404"\} \d+/);
  });
});

test('a watch older than the history gets ERROR 410 Expired, then the stream closes', async () => {
  const store = createMemoryStore({ history: { revisions: 2, ageMs: 0, intervalMs: 20 } });
  const s = await startApiServer({ store, log: createLogger('test', { silent: true }), listen: '127.0.0.1:0' });
  try {
    for (let i = 0; i < 6; i++) {
      await fetch(`${s.url}/api/v1/namespaces/default/pods`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(pod(`e${i}`)) });
    }
    await new Promise((r) => setTimeout(r, 100));
    srv = s;
    const w = await watch('/api/v1/namespaces/default/pods?watch=true&resourceVersion=1', () => false);
    assert.equal(w.ended, true);
    assert.equal(w.events.length, 1);
    assert.equal(w.events[0]!.type, 'ERROR');
    assert.equal(w.events[0]!.object.code, 410);
    assert.equal(w.events[0]!.object.reason, 'Expired');
  } finally {
    await s.close();
    await store.close();
  }
});
