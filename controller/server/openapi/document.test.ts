import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allKinds } from '../../api/kinds.js';
import { createOpenApiV3Cache, type OpenApiDocument } from './document.js';
import { MERGE_KEYS } from '../patch/merge-keys.js';

const cache = createOpenApiV3Cache(allKinds());
const doc = (path: string): OpenApiDocument => JSON.parse(cache.document(path)?.body.toString() ?? 'null') as OpenApiDocument;
type Node = Record<string, unknown>;
const schemaOf = (d: OpenApiDocument, name: string) => d.components.schemas[name] as Node;
const resolve = (d: OpenApiDocument, node: Node): Node => {
  const ref = (node.$ref ?? (node.allOf as Node[] | undefined)?.[0]?.$ref) as string | undefined;
  return ref ? schemaOf(d, ref.replace('#/components/schemas/', '')) : node;
};
/** Follows a field path (`spec.ports`, `spec.template.spec.containers[].ports`) the way kubectl does. */
const at = (d: OpenApiDocument, root: string, path: string): Node => {
  let node = schemaOf(d, root);
  for (const seg of path.split('.')) {
    const [field, ...rest] = seg.split('[]');
    node = resolve(d, node);
    node = (node.properties as Record<string, Node>)[field as string] as Node;
    assert.ok(node, `${root}: no field ${path}`);
    if (rest.length) node = node.items as Node;
  }
  return node;
};

test('root lists every group-version with a hash URL', () => {
  const root = JSON.parse(cache.root.body.toString()) as { paths: Record<string, { serverRelativeURL: string }> };
  assert.deepEqual(Object.keys(root.paths).sort(), ['api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1']);
  for (const [path, { serverRelativeURL }] of Object.entries(root.paths)) {
    assert.equal(serverRelativeURL, `/openapi/v3/${path}?hash=${cache.document(path)?.hash}`);
  }
  assert.equal(cache.document('/api/v1/')?.hash, cache.document('api/v1')?.hash);
  assert.equal(cache.document('apis/nope/v1'), undefined);
  assert.equal(cache.lookup('/openapi/v3'), cache.root);
  assert.equal(cache.lookup('/openapi/v3/apis/apps/v1?hash=x'), cache.document('apis/apps/v1'));
  assert.equal(cache.lookup('/openapi/v2'), undefined);
});

test('documents are OpenAPI 3.0 with no JSON-Schema-only keys', () => {
  for (const path of cache.paths) {
    const text = cache.document(path)?.body.toString() ?? '';
    const d = JSON.parse(text) as OpenApiDocument;
    assert.equal(d.openapi, '3.0.0');
    assert.doesNotMatch(text, /"\$schema"|"\$id"|9007199254740991/);
    for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(d.components.schemas[m[1] as string], `${path}: dangling $ref ${m[1]}`);
  }
});

test('every kind schema carries x-kubernetes-group-version-kind (list form)', () => {
  for (const k of allKinds()) {
    const d = doc(k.group === '' ? `api/${k.version}` : `apis/${k.group}/${k.version}`);
    const name = `io.k8s.api.${k.group === '' ? 'core' : k.group.split('.')[0]}.${k.version}.${k.kind}`;
    assert.deepEqual(schemaOf(d, name)['x-kubernetes-group-version-kind'], [{ group: k.group, version: k.version, kind: k.kind }], name);
    assert.deepEqual(schemaOf(d, `${name}List`)['x-kubernetes-group-version-kind'], [{ group: k.group, version: k.version, kind: k.listKind }]);
  }
});

test('PATCH of every /{name} path declares fieldValidation and its GVK (kubectl then validates server-side)', () => {
  for (const path of cache.paths) {
    const d = doc(path);
    const items = Object.entries(d.paths).filter(([p]) => p.endsWith('/{name}'));
    assert.ok(items.length > 0, path);
    for (const [p, item] of items) {
      const patch = (item as Record<string, Node>).patch;
      if (!patch) continue;
      const params = (patch.parameters as { name: string }[]).map((x) => x.name);
      assert.ok(params.includes('fieldValidation'), `${p}: fieldValidation`);
      const gvk = patch['x-kubernetes-group-version-kind'] as { kind: string };
      assert.ok(gvk && typeof gvk.kind === 'string' && !Array.isArray(gvk), `${p}: single GVK object`);
    }
  }
  const svc = doc('api/v1').paths['/api/v1/namespaces/{namespace}/services/{name}'] as Record<string, Node>;
  assert.deepEqual(svc.patch?.['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Service' });
  const scale = doc('apis/apps/v1').paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'] as Record<string, Node>;
  assert.deepEqual(scale.patch?.['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  assert.ok(doc('api/v1').paths['/api/v1/pods'], 'all-namespaces list path');
  assert.ok(doc('api/v1').paths['/api/v1/nodes/{name}'], 'cluster-scoped item path');
});

test('merge keys come from the patch table, following $refs into shared components', () => {
  const cases: [string, string, string, string, string | undefined][] = [
    ['api/v1', 'io.k8s.api.core.v1.Service', 'spec.ports', 'merge', 'port'],
    ['api/v1', 'io.k8s.api.core.v1.Pod', 'spec.containers', 'merge', 'name'],
    ['api/v1', 'io.k8s.api.core.v1.Pod', 'spec.containers[].ports', 'merge', 'containerPort'],
    ['api/v1', 'io.k8s.api.core.v1.Pod', 'spec.containers[].env', 'merge', 'name'],
    ['api/v1', 'io.k8s.api.core.v1.Pod', 'spec.volumes', 'merge,retainKeys', 'name'],
    ['api/v1', 'io.k8s.api.core.v1.Pod', 'metadata.finalizers', 'merge', undefined],
    ['api/v1', 'io.k8s.api.core.v1.Node', 'status.addresses', 'merge', 'type'],
    ['apis/apps/v1', 'io.k8s.api.apps.v1.Deployment', 'spec.template.spec.containers[].ports', 'merge', 'containerPort'],
    ['apis/apps/v1', 'io.k8s.api.apps.v1.Deployment', 'spec.strategy', 'retainKeys', undefined],
  ];
  for (const [path, root, field, strategy, key] of cases) {
    const node = at(doc(path), root, field);
    assert.equal(node['x-kubernetes-patch-strategy'], strategy, `${root} ${field}`);
    assert.equal(node['x-kubernetes-patch-merge-key'], key, `${root} ${field}`);
  }
  assert.equal(at(doc('api/v1'), 'io.k8s.api.core.v1.Pod', 'spec.tolerations')['x-kubernetes-patch-strategy'], undefined, 'replace lists carry no strategy');
  assert.ok(Object.keys(MERGE_KEYS.Pod ?? {}).length > 10);
});

test('kubectl explain service.spec.ports has described fields and int-or-string targetPort', () => {
  const d = doc('api/v1');
  const ports = at(d, 'io.k8s.api.core.v1.Service', 'spec.ports');
  assert.equal(ports.type, 'array');
  const port = resolve(d, ports.items as Node);
  const props = port.properties as Record<string, Node>;
  assert.equal(props.port?.type, 'integer');
  assert.ok(typeof props.port?.description === 'string');
  assert.deepEqual(port.required, ['port']);
  assert.equal(resolve(d, props.targetPort as Node)['x-kubernetes-int-or-string'], true);
  assert.equal(resolve(d, props.targetPort as Node).format, 'int-or-string');
});
