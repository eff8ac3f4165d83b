import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { patchSchemaForKind } from './merge-keys.js';
import { PatchError, type PatchErrorCode } from './errors.js';
import type { JsonValue } from './json.js';

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

const cases: { name: string; kind: string; live: JsonValue; patch: unknown; want?: JsonValue; error?: [PatchErrorCode, RegExp] }[] = [
  {
    name: 'kubectl apply of a changed image keeps the container ports (acceptance)',
    kind: 'Pod',
    live: {
      metadata: { name: 'web', annotations: { [lastApplied]: '{"old":1}' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] }], restartPolicy: 'Always' },
    },
    patch: {
      metadata: { annotations: { [lastApplied]: '{"new":1}' } },
      spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ image: 'nginx:1.28', name: 'web' }] },
    },
    want: {
      metadata: { name: 'web', annotations: { [lastApplied]: '{"new":1}' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.28', ports: [{ containerPort: 80, protocol: 'TCP' }] }], restartPolicy: 'Always' },
    },
  },
  {
    name: 'service port renumbered: merge by port with $patch delete',
    kind: 'Service',
    live: { spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }] } },
    patch: { spec: { '$setElementOrder/ports': [{ port: 8080 }], ports: [{ port: 8080, targetPort: 80 }, { $patch: 'delete', port: 80 }] } },
    want: { spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ port: 8080, targetPort: 80 }] } },
  },
  {
    name: 'container ports by containerPort: delete one, add one, keep server fields',
    kind: 'Pod',
    live: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }, { containerPort: 443, protocol: 'TCP' }] }] } },
    patch: {
      spec: {
        '$setElementOrder/containers': [{ name: 'a' }],
        containers: [{ name: 'a', '$setElementOrder/ports': [{ containerPort: 80 }, { containerPort: 8080 }], ports: [{ containerPort: 8080 }, { $patch: 'delete', containerPort: 443 }] }],
      },
    },
    want: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }, { containerPort: 8080 }] }] } },
  },
  {
    name: 'server-only container keeps its place between patched ones',
    kind: 'Pod',
    live: { spec: { containers: [{ name: 'a', image: 'a1' }, { name: 's', image: 's1' }, { name: 'b', image: 'b1' }] } },
    patch: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b', image: 'b2' }] } },
    want: { spec: { containers: [{ name: 'a', image: 'a1' }, { name: 's', image: 's1' }, { name: 'b', image: 'b2' }] } },
  },
  {
    name: '$setElementOrder reorders and appends a new container',
    kind: 'Pod',
    live: { spec: { containers: [{ name: 'a', image: 'a1' }, { name: 'b', image: 'b1' }] } },
    patch: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'b' }, { name: 'a' }], containers: [{ name: 'c', image: 'c1' }] } },
    want: { spec: { containers: [{ name: 'c', image: 'c1' }, { name: 'b', image: 'b1' }, { name: 'a', image: 'a1' }] } },
  },
  {
    name: 'kubectl apply removing a container',
    kind: 'Pod',
    live: { spec: { containers: [{ name: 'a', image: 'a1' }, { name: 'b', image: 'b1' }] } },
    patch: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ $patch: 'delete', name: 'b' }] } },
    want: { spec: { containers: [{ name: 'a', image: 'a1' }] } },
  },
  {
    name: 'env merges by name, null removes a field of an element',
    kind: 'Pod',
    live: { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }], workingDir: '/w' }] } },
    patch: { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '3' }, { name: 'Z', value: '4' }], workingDir: null }] } },
    want: { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '3' }, { name: 'Z', value: '4' }] }] } },
  },
  {
    name: 'lists without a patch strategy are replaced (tolerations)',
    kind: 'Pod',
    live: { spec: { tolerations: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists' }] } },
    patch: { spec: { tolerations: [{ key: 'c', operator: 'Exists' }] } },
    want: { spec: { tolerations: [{ key: 'c', operator: 'Exists' }] } },
  },
  {
    name: 'node taints are replaced, as Kubernetes declares no strategy for them',
    kind: 'Node',
    live: { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } },
    patch: { spec: { taints: [{ key: 'b', effect: 'NoSchedule' }] } },
    want: { spec: { taints: [{ key: 'b', effect: 'NoSchedule' }] } },
  },
  {
    name: 'node conditions merge by type',
    kind: 'Node',
    live: { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'MemoryPressure', status: 'False' }] } },
    patch: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } },
    want: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }, { type: 'MemoryPressure', status: 'False' }] } },
  },
  {
    name: 'null deletes a key; nulls inside new values are dropped',
    kind: 'Service',
    live: { metadata: { labels: { a: '1', b: '2' } }, spec: { type: 'ClusterIP' } },
    patch: { metadata: { labels: { a: null } }, spec: { selector: { app: 'x', gone: null } } },
    want: { metadata: { labels: { b: '2' } }, spec: { type: 'ClusterIP', selector: { app: 'x' } } },
  },
  {
    name: '$patch: replace in a list',
    kind: 'Pod',
    live: { spec: { containers: [{ name: 'a', image: 'a1', ports: [{ containerPort: 1 }] }, { name: 'b' }] } },
    patch: { spec: { containers: [{ name: 'a', image: 'a2' }, { $patch: 'replace' }] } },
    want: { spec: { containers: [{ name: 'a', image: 'a2' }] } },
  },
  {
    name: '$patch: replace on a map',
    kind: 'Pod',
    live: { metadata: { labels: { a: '1', b: '2' } } },
    patch: { metadata: { labels: { $patch: 'replace', c: '3' } } },
    want: { metadata: { labels: { c: '3' } } },
  },
  {
    name: '$patch: delete on a map empties it',
    kind: 'Pod',
    live: { metadata: { name: 'p', labels: { a: '1' } } },
    patch: { metadata: { labels: { $patch: 'delete' } } },
    want: { metadata: { name: 'p', labels: {} } },
  },
  {
    name: '$patch: merge is the default and leaves no trace; without $setElementOrder new elements come first, as upstream',
    kind: 'Pod',
    live: { metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'a' }] } },
    patch: { metadata: { labels: { $patch: 'merge', b: '2' } }, spec: { containers: [{ name: 'b' }, { $patch: 'merge' }] } },
    want: { metadata: { labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'b' }, { name: 'a' }] } },
  },
  {
    name: '$retainKeys clears the unlisted keys of deployment strategy',
    kind: 'Deployment',
    live: { spec: { replicas: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    want: { spec: { replicas: 2, strategy: { type: 'Recreate' } } },
  },
  {
    name: '$retainKeys refuses a patched key it does not list',
    kind: 'Deployment',
    live: { spec: { strategy: { type: 'RollingUpdate' } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: 2 } } } },
    error: ['MalformedPatch', /spec\.strategy: field "rollingUpdate" is set by the patch but missing from \$retainKeys/],
  },
  {
    name: 'volumes merge by name and $retainKeys switches the source',
    kind: 'Pod',
    live: { spec: { volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }] } },
    patch: { spec: { volumes: [{ $retainKeys: ['hostPath', 'name'], name: 'data', hostPath: { path: '/d' } }] } },
    want: { spec: { volumes: [{ name: 'data', hostPath: { path: '/d' } }, { name: 'cfg', configMap: { name: 'c' } }] } },
  },
  {
    name: 'finalizers merge as a set, patch order first',
    kind: 'Service',
    live: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['c', 'a'] } },
    want: { metadata: { finalizers: ['c', 'a', 'b'] } },
  },
  {
    name: '$deleteFromPrimitiveList removes finalizers',
    kind: 'Pod',
    live: { metadata: { finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: { metadata: { finalizers: ['a', 'c'] } },
  },
  {
    name: '$setElementOrder on a primitive list',
    kind: 'Pod',
    live: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['b', 'a', 'c'], finalizers: ['c'] } },
    want: { metadata: { finalizers: ['b', 'a', 'c'] } },
  },
  {
    name: 'ownerReferences merge by uid on any kind',
    kind: 'EndpointSlice',
    live: { metadata: { ownerReferences: [{ uid: 'u1', kind: 'Service', name: 's', apiVersion: 'v1' }] } },
    patch: { metadata: { ownerReferences: [{ uid: 'u2', kind: 'Service', name: 't', apiVersion: 'v1' }] } },
    want: { metadata: { ownerReferences: [{ uid: 'u2', kind: 'Service', name: 't', apiVersion: 'v1' }, { uid: 'u1', kind: 'Service', name: 's', apiVersion: 'v1' }] } },
  },
  {
    name: 'endpointslice endpoints are replaced',
    kind: 'EndpointSlice',
    live: { endpoints: [{ addresses: ['10.0.0.1'] }] },
    patch: { endpoints: [{ addresses: ['10.0.0.2'] }] },
    want: { endpoints: [{ addresses: ['10.0.0.2'] }] },
  },
  {
    name: 'deployment pod template containers merge by name',
    kind: 'Deployment',
    live: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] }] } } } },
    patch: {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'web' }],
            containers: [{ name: 'web', image: 'nginx:2', '$setElementOrder/env': [{ name: 'A' }, { name: 'B' }], env: [{ name: 'B', value: '2' }] }],
          },
        },
      },
    },
    want: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] } } } },
  },
  {
    name: 'the same list under a kind without that path is replaced',
    kind: 'Service',
    live: { spec: { containers: [{ name: 'a', image: '1' }] } },
    patch: { spec: { containers: [{ name: 'b' }] } },
    want: { spec: { containers: [{ name: 'b' }] } },
  },
  {
    name: 'a new subtree is stored without directives',
    kind: 'Deployment',
    live: { spec: { replicas: 1 } },
    patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'a', ports: [{ containerPort: 1 }, { $patch: 'delete', containerPort: 2 }] }] } } } },
    want: { spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 1 }] }] } } } },
  },
  {
    name: 'a value of another type replaces',
    kind: 'Pod',
    live: { spec: { containers: 'oops' } },
    patch: { spec: { containers: [{ name: 'a', env: null }] } },
    want: { spec: { containers: [{ name: 'a' }] } },
  },
  {
    name: '$patch: replace at the top replaces the whole object',
    kind: 'Pod',
    live: { metadata: { name: 'a' }, spec: { x: 1 } },
    patch: { $patch: 'replace', metadata: { name: 'b' } },
    want: { metadata: { name: 'b' } },
  },
  {
    name: 'merge key missing in an element',
    kind: 'Pod',
    live: { spec: { containers: [{ name: 'a' }] } },
    patch: { spec: { containers: [{ image: 'x' }] } },
    error: ['MalformedPatch', /spec\.containers: element \{"image":"x"\} has no merge key "name"/],
  },
  {
    name: 'unknown directive',
    kind: 'Pod',
    live: { spec: { containers: [{ name: 'a' }] } },
    patch: { spec: { containers: [{ name: 'a', $patch: 'frob' }] } },
    error: ['MalformedPatch', /unknown \$patch directive "frob"/],
  },
  {
    name: 'patch list disagreeing with $setElementOrder',
    kind: 'Pod',
    live: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
    patch: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b' }, { name: 'a' }] } },
    error: ['MalformedPatch', /spec\.containers: the order of the patch list does not match \$setElementOrder\/containers/],
  },
  {
    name: 'mixed element types',
    kind: 'Pod',
    live: { metadata: { finalizers: ['a'] } },
    patch: { metadata: { finalizers: [{ x: 1 }] } },
    error: ['PatchNotApplicable', /metadata\.finalizers: list element types differ/],
  },
  { name: 'patch must be an object', kind: 'Pod', live: {}, patch: [1], error: ['MalformedPatch', /must be a JSON object, got array/] },
];

for (const c of cases) {
  test(`applyStrategicMergePatch: ${c.name}`, () => {
    const live = structuredClone(c.live);
    const patch = structuredClone(c.patch);
    const run = () => applyStrategicMergePatch(c.live, c.patch, patchSchemaForKind(c.kind));
    if (c.error) {
      const [code, message] = c.error;
      assert.throws(run, (err: unknown) => err instanceof PatchError && err.code === code && message.test(err.message));
    } else {
      assert.deepEqual(run(), c.want);
    }
    assert.deepEqual(c.live, live, 'live object must not be mutated');
    assert.deepEqual(c.patch, patch, 'patch must not be mutated');
  });
}
