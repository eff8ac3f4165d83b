import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureServices, fixtureSlices } from './fixture.js';
import { slimPod, slimService, slimSlice, SERVICE_NAME_LABEL, type EndpointSliceLike, type ServiceLike } from './objects.js';
import { buildServiceRecords } from './record-index.js';

// The informers keep slim copies (the transform); every record must come out the same as from the
// whole objects, also when those carry the fields real API objects have and DNS never reads.
const noisy = (s: ServiceLike): ServiceLike => JSON.parse(JSON.stringify({
  ...s, metadata: { ...s.metadata, uid: 'u', resourceVersion: '7', annotations: { a: 'x'.repeat(500) }, managedFields: [{ manager: 'kubectl' }] },
  spec: { ...s.spec, ipFamilies: ['IPv4'], sessionAffinity: 'None', ports: s.spec?.ports?.map((p) => ({ ...p, targetPort: 8080 })) },
})) as ServiceLike;
const noisySlice = (s: EndpointSliceLike): EndpointSliceLike => JSON.parse(JSON.stringify({
  ...s, metadata: { ...s.metadata, labels: { ...s.metadata.labels, 'endpointslice.kubernetes.io/managed-by': 'x' }, generateName: 'g-' },
  endpoints: s.endpoints?.map((e) => ({ ...e, nodeName: 'n1', zone: 'z', conditions: { ...e.conditions, serving: true, terminating: false } })) ?? null,
})) as EndpointSliceLike;

test('slim objects yield exactly the records of the whole objects', () => {
  for (const svc of fixtureServices) {
    const full = noisy(svc);
    const slices = fixtureSlices.filter((s) => s.metadata.namespace === svc.metadata.namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name).map(noisySlice);
    assert.deepEqual(buildServiceRecords(slimService(full), slices.map(slimSlice), 'cluster.local', 5), buildServiceRecords(full, slices, 'cluster.local', 5), svc.metadata.name);
  }
});

test('slim objects keep the identity the informer needs and drop the rest', () => {
  const s = slimService(noisy(fixtureServices[1]!));
  assert.deepEqual(Object.keys(s.metadata).filter((k) => (s.metadata as Record<string, unknown>)[k] !== undefined).sort(), ['name', 'namespace', 'resourceVersion']);
  assert.equal(JSON.stringify(s).includes('managedFields'), false);
  const sl = slimSlice(noisySlice(fixtureSlices[0]!));
  assert.deepEqual(sl.metadata.labels, { [SERVICE_NAME_LABEL]: 'db' });
  const p = slimPod({ metadata: { namespace: 'a', name: 'p', resourceVersion: '3', labels: { x: 'y' } }, status: { podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }], phase: 'Running' } });
  assert.deepEqual(JSON.parse(JSON.stringify(p)), { metadata: { namespace: 'a', name: 'p', resourceVersion: '3' }, status: { podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }] } });
});
