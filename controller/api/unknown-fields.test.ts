import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { findUnknownFields } from './unknown-fields.js';
import { allKinds, kindByResource, kindByShortName, KINDS } from './kinds.js';
import { parseObject } from './decode.js';

const cases: { name: string; kind: string; obj: unknown; want: string[] }[] = [
  {
    name: 'misspelt container field',
    kind: 'Pod',
    obj: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', imagee: 'x' }] } },
    want: ['spec.containers[1].imagee'],
  },
  {
    name: 'opaque sub-trees are exempt, known ones are not',
    kind: 'Pod',
    obj: {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { any: 'thing' }, bogus: 1 },
      spec: { affinity: { whatever: { deep: true } }, volumes: [{ name: 'v', csi: { driver: 'x' } }], containers: [{ name: 'a', securityContext: { foo: 1 }, resources: { limits: { cpu: '1' }, limitz: {} }, livenessProbe: { httpGet: { port: 80, paht: '/' } } }] },
      extra: {},
    },
    want: ['metadata.bogus', 'spec.containers[0].resources.limitz', 'spec.containers[0].livenessProbe.httpGet.paht', 'extra'],
  },
  {
    name: 'service ports and int-or-string',
    kind: 'Service',
    obj: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 'http', nodeport: 1 }], sessionAffinityConfig: { clientIP: { timeout: 1 } } } },
    want: ['spec.ports[0].nodeport', 'spec.sessionAffinityConfig.clientIP.timeout'],
  },
  {
    name: 'deployment template',
    kind: 'Deployment',
    obj: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replica: 3, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 1, hostport: 2 }] }] } } } },
    want: ['spec.replica', 'spec.template.spec.containers[0].ports[0].hostport'],
  },
  { name: 'clean object', kind: 'Namespace', obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } }, want: [] },
];
for (const c of cases) {
  test(`findUnknownFields: ${c.name}`, () => assert.deepEqual(findUnknownFields(c.kind, c.obj), c.want));
}

test('parseObject strips unknown fields and drops nulls', () => {
  const r = parseObject(KINDS.Service, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', creationTimestamp: null }, spec: { ports: [{ port: 80, bogus: 1 }] } });
  assert.ok(r.ok);
  assert.deepEqual(r.value, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } });
});

test('KINDS registry lookups and discovery facts', () => {
  assert.equal(kindByResource('', 'services'), KINDS.Service);
  assert.equal(kindByResource('apps', 'deployments'), KINDS.Deployment);
  assert.equal(kindByResource('', 'deployments'), undefined);
  assert.equal(kindByShortName('deploy'), KINDS.Deployment);
  assert.deepEqual(allKinds().filter((k) => k.categories.includes('all')).map((k) => k.resource).sort(), ['deployments', 'pods', 'replicasets', 'services']);
  assert.deepEqual(allKinds().flatMap((k) => k.shortNames).sort(), ['deploy', 'ep', 'ev', 'no', 'ns', 'po', 'rs', 'svc']);
  assert.equal(KINDS.EndpointSlice.apiVersion, 'discovery.k8s.io/v1');
  assert.deepEqual(KINDS.Pod.subresources, ['status', 'binding', 'log']);
});

test('every schema converts to JSON Schema for OpenAPI', () => {
  for (const k of allKinds()) {
    const js = z.toJSONSchema(k.schema) as { type?: string; properties?: Record<string, unknown> };
    assert.equal(js.type, 'object', k.kind);
    assert.ok(js.properties?.metadata, k.kind);
  }
});
