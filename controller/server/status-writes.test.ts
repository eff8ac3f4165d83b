/**
 * What a client sees from writes through the `status` subresource (PUT and PATCH): the new status
 * is checked against the schema (422 with the field path), spec and metadata changes in the body
 * are ignored, resourceVersion preconditions conflict, unknown fields warn or fail under Strict,
 * status defaults apply, and a write that changes nothing keeps the resourceVersion.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allKinds } from '../api/kinds.js';
import { createMemoryStore } from '../store/memory/index.js';
import { createLogger } from '../../daemon/logger.js';
import { startApiServer, type ApiServer } from './api-server.js';
import { serverParts } from './parts.js';

type Json = Record<string, any>;

let srv: ApiServer;
const call = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
  const r = await fetch(srv.url + path, {
    method,
    headers: { 'content-type': contentType },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, body: JSON.parse(text) as Json, warning: r.headers.get('warning') };
};

const ns = '/api/v1/namespaces/default';
let seq = 0;
/** A fresh pod (stored, as the server answered it). */
async function newPod(): Promise<Json> {
  const r = await call('POST', `${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `st-${seq++}`, labels: { app: 'a' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 8080 }] }] },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

type Outcome = { status: number; causes?: { field: string; reason: string; message: string }[]; check?: (body: Json, before: Json) => void; warning?: string | null };
type Case = { name: string; write: (pod: Json) => { method: 'PUT' | 'PATCH'; query?: string; body: unknown; contentType?: string }; want: Outcome };

const put = (body: unknown, query = '') => ({ method: 'PUT' as const, body, query });
const merge = (body: unknown) => ({ method: 'PATCH' as const, body, contentType: 'application/merge-patch+json' });

const cases: Case[] = [
  {
    name: 'a valid status is stored; the resourceVersion moves',
    write: (p) => put({ ...p, status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }], conditions: [{ type: 'Ready', status: 'True' }] } }),
    want: {
      status: 200,
      check: (b, before) => {
        assert.equal(b.status.phase, 'Running');
        assert.deepEqual(b.status.conditions, [{ type: 'Ready', status: 'True' }]);
        assert.notEqual(b.metadata.resourceVersion, before.metadata.resourceVersion);
      },
    },
  },
  {
    name: 'spec and metadata changes in the body are ignored',
    write: (p) => put({ ...p, metadata: { ...p.metadata, labels: { app: 'changed' }, annotations: { x: 'y' } }, spec: { ...p.spec, nodeName: 'other', containers: [{ name: 'c', image: 'changed' }] }, status: { phase: 'Running' } }),
    want: {
      status: 200,
      check: (b, before) => {
        assert.deepEqual(b.spec, before.spec);
        assert.deepEqual(b.metadata.labels, { app: 'a' });
        assert.equal(b.metadata.annotations, undefined);
        assert.equal(b.status.phase, 'Running');
      },
    },
  },
  {
    name: 'an invalid spec in the body is ignored too',
    write: (p) => put({ ...p, spec: { containers: [{ name: 'Bad_Name', image: '' }], restartPolicy: 'Sometimes' }, status: { phase: 'Running' } }),
    want: { status: 200, check: (b, before) => assert.deepEqual(b.spec, before.spec) },
  },
  {
    name: 'a wrongly typed status field is 422 naming it',
    write: (p) => put({ ...p, status: { phase: 'Running', podIPs: [{ ip: 5 }] } }),
    want: { status: 422, causes: [{ field: 'status.podIPs[0].ip', reason: 'FieldValueTypeInvalid', message: 'Invalid value: 5: expected string, got number' }] },
  },
  {
    name: 'a condition without a type is 422',
    write: (p) => put({ ...p, status: { conditions: [{ status: 'True' }] } }),
    want: { status: 422, causes: [{ field: 'status.conditions[0].type', reason: 'FieldValueRequired', message: 'Required value' }] },
  },
  {
    name: 'a container status missing required fields is 422 for each',
    write: (p) => put({ ...p, status: { containerStatuses: [{ name: 'c', ready: 'yes' }] } }),
    want: {
      status: 422,
      causes: [
        { field: 'status.containerStatuses[0].ready', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "yes": expected boolean, got string' },
        { field: 'status.containerStatuses[0].restartCount', reason: 'FieldValueRequired', message: 'Required value' },
        { field: 'status.containerStatuses[0].image', reason: 'FieldValueRequired', message: 'Required value' },
        { field: 'status.containerStatuses[0].imageID', reason: 'FieldValueRequired', message: 'Required value' },
      ],
    },
  },
  {
    name: 'status as a string is 422',
    write: (p) => put({ ...p, status: 'Running' }),
    want: { status: 422, causes: [{ field: 'status', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "Running": expected object, got string' }] },
  },
  {
    name: 'a null status field is dropped',
    write: (p) => put({ ...p, status: { phase: 'Running', message: null } }),
    want: { status: 200, check: (b) => assert.deepEqual(b.status, { phase: 'Running' }) },
  },
  {
    name: 'a removed status is stored as none',
    write: (p) => put({ ...p, status: undefined }),
    want: { status: 200, check: (b) => assert.equal(b.status, undefined) },
  },
  {
    name: 'a stale resourceVersion conflicts',
    write: (p) => put({ ...p, metadata: { ...p.metadata, resourceVersion: '1' }, status: { phase: 'Running' } }),
    want: { status: 409 },
  },
  {
    name: 'the same status again keeps the resourceVersion',
    write: (p) => put({ ...p }),
    want: { status: 200, check: (b, before) => assert.equal(b.metadata.resourceVersion, before.metadata.resourceVersion) },
  },
  {
    name: 'an unknown status field warns and is kept (the status is a loose object)',
    write: (p) => put({ ...p, status: { phase: 'Running', bogus: 1 } }),
    want: { status: 200, warning: null, check: (b) => assert.equal(b.status.bogus, 1) },
  },
  {
    name: 'an unknown field elsewhere warns',
    write: (p) => put({ ...p, spec: { ...p.spec, bogus: 1 }, status: { phase: 'Running' } }),
    want: { status: 200, warning: '299 - "unknown field \\"spec.bogus\\""', check: (b, before) => assert.deepEqual(b.spec, before.spec) },
  },
  {
    name: 'an unknown field with a wrongly typed spec: the body fails to decode',
    write: (p) => put({ ...p, spec: { ...p.spec, bogus: 1, containers: 'x' }, status: { phase: 'Running' } }),
    want: { status: 422, causes: [{ field: 'spec.containers', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "x": expected array, got string' }] },
  },
  {
    name: 'an unknown field under Strict is 400',
    write: (p) => put({ ...p, spec: { ...p.spec, bogus: 1 }, status: { phase: 'Running' } }, '?fieldValidation=Strict'),
    want: { status: 400 },
  },
  {
    name: 'a merge patch of the status is checked the same way',
    write: () => merge({ status: { podIPs: [{ ip: false }] } }),
    want: { status: 422, causes: [{ field: 'status.podIPs[0].ip', reason: 'FieldValueTypeInvalid', message: 'Invalid value: false: expected string, got boolean' }] },
  },
  {
    name: 'a merge patch setting a condition',
    write: () => merge({ status: { conditions: [{ type: 'Ready', status: 'False' }] } }),
    want: { status: 200, check: (b) => assert.deepEqual(b.status.conditions, [{ type: 'Ready', status: 'False' }]) },
  },
  {
    name: 'a dry run answers the would-be object and stores nothing',
    write: (p) => put({ ...p, status: { phase: 'Succeeded' } }, '?dryRun=All'),
    want: { status: 200, check: (b, before) => { assert.equal(b.status.phase, 'Succeeded'); assert.equal(b.metadata.resourceVersion, before.metadata.resourceVersion); } },
  },
];

describe('writes through pods/status', () => {
  before(async () => {
    srv = await startApiServer({
      store: createMemoryStore({ history: { revisions: 1000, ageMs: 60_000, intervalMs: 60_000 } }),
      log: createLogger('test', { silent: true }),
      listen: '127.0.0.1:0',
      ...serverParts(allKinds()),
    });
  });
  after(async () => {
    await srv.close();
    await srv.registry.store.close();
  });

  for (const c of cases) {
    test(c.name, async () => {
      const pod = await newPod();
      const w = c.write(pod);
      const r = await call(w.method, `${ns}/pods/${pod.metadata.name}/status${w.query ?? ''}`, w.body, w.contentType);
      assert.equal(r.status, c.want.status, JSON.stringify(r.body));
      if (c.want.causes) {
        assert.equal(r.body.reason, 'Invalid');
        assert.deepEqual(r.body.details.causes, c.want.causes);
      }
      if (c.want.warning !== undefined) assert.equal(r.warning, c.want.warning);
      c.want.check?.(r.body, pod);
      if (r.status !== 200 || w.query === '?dryRun=All') {
        const stored = await call('GET', `${ns}/pods/${pod.metadata.name}`);
        assert.deepEqual(stored.body, pod, 'nothing stored');
      }
    });
  }

  test('a 422 names the pod and says what is wrong', async () => {
    const pod = await newPod();
    const r = await call('PUT', `${ns}/pods/${pod.metadata.name}/status`, { ...pod, status: { podIPs: [{ ip: 5 }] } });
    assert.equal(r.status, 422);
    assert.equal(r.body.details.name, pod.metadata.name);
    assert.equal(r.body.details.kind, 'Pod');
    assert.match(r.body.message, new RegExp(`^Pod "${pod.metadata.name}" is invalid: status\\.podIPs\\[0\\]\\.ip`));
  });

  test('a stale resourceVersion says why', async () => {
    const pod = await newPod();
    const r = await call('PUT', `${ns}/pods/${pod.metadata.name}/status`, { ...pod, metadata: { ...pod.metadata, resourceVersion: '1' } });
    assert.equal(r.status, 409);
    assert.equal(r.body.reason, 'Conflict');
    assert.match(r.body.message, /the object has been modified; please apply your changes to the latest version and try again/);
  });

  test('services/status: the load balancer status defaults and a bad ingress is 422', async () => {
    const created = await call('POST', `${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'st-svc' }, spec: { ports: [{ port: 80 }] } });
    assert.equal(created.status, 201);
    const ok = await call('PUT', `${ns}/services/st-svc/status`, { ...created.body, status: undefined });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.status, { loadBalancer: {} });
    assert.deepEqual(ok.body.spec, created.body.spec);
    const bad = await call('PUT', `${ns}/services/st-svc/status`, { ...ok.body, status: { loadBalancer: { ingress: 'x' } } });
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    assert.deepEqual(bad.body.details.causes.map((c: Json) => c.field), ['status.loadBalancer.ingress']);
  });

  test('deployments/status: a wrongly typed replica count is 422; spec changes are ignored', async () => {
    const d = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'st-dep' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    };
    const created = await call('POST', '/apis/apps/v1/namespaces/default/deployments', d);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const path = '/apis/apps/v1/namespaces/default/deployments/st-dep/status';
    const bad = await call('PUT', path, { ...created.body, status: { replicas: 'two' } });
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    assert.deepEqual(bad.body.details.causes.map((c: Json) => c.field), ['status.replicas']);
    const ok = await call('PUT', path, { ...created.body, spec: { ...created.body.spec, replicas: 7 }, status: { replicas: 2, readyReplicas: 1 } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.spec.replicas, 1);
    assert.equal(ok.body.status.replicas, 2);
  });
});
