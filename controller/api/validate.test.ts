import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invalidMessage } from './field-errors.js';
import { validateObject } from './validate.js';

const svc = (spec: Record<string, unknown>, name = 'web') => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec });
const pod = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', ...meta }, spec,
});
const c = (extra: Record<string, unknown> = {}) => ({ name: 'web', image: 'nginx', ...extra });
const deploy = (spec: Record<string, unknown>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec });
const tmpl = (labels: Record<string, string>, spec: Record<string, unknown> = {}) => ({ metadata: { labels }, spec: { containers: [c()], ...spec } });

/** Each case: the object, and the expected causes as `field: message-substring` (empty = valid). */
const cases: { name: string; kind: string; obj: unknown; old?: unknown; want: string[] }[] = [
  { name: 'valid service', kind: 'Service', obj: svc({ selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] }), want: [] },
  { name: 'service port out of range', kind: 'Service', obj: svc({ ports: [{ port: 70000 }] }), want: ['spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive'] },
  { name: 'service port wrong type', kind: 'Service', obj: svc({ ports: [{ port: '80' }] }), want: ['spec.ports[0].port: Invalid value: "80": expected number, got string'] },
  { name: 'service without ports', kind: 'Service', obj: svc({ selector: { app: 'x' } }), want: ['spec.ports: Required value'] },
  { name: 'headless service without ports', kind: 'Service', obj: svc({ clusterIP: 'None', selector: { app: 'x' } }), want: [] },
  { name: 'ExternalName without ports', kind: 'Service', obj: svc({ type: 'ExternalName', externalName: 'example.com.' }), want: [] },
  { name: 'ExternalName without a name', kind: 'Service', obj: svc({ type: 'ExternalName' }), want: ['spec.externalName: Required value'] },
  { name: 'multi-port service needs names', kind: 'Service', obj: svc({ ports: [{ port: 80 }, { port: 443 }] }), want: ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value'] },
  { name: 'duplicate port names', kind: 'Service', obj: svc({ ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }), want: ['spec.ports[1].name: Duplicate value: "a"'] },
  { name: 'bad protocol and type', kind: 'Service', obj: svc({ type: 'Cluster', ports: [{ port: 80, protocol: 'ICMP' }] }), want: ['spec.type: Unsupported value: "Cluster"', 'spec.ports[0].protocol: Unsupported value: "ICMP"'] },
  { name: 'nodePort on ClusterIP', kind: 'Service', obj: svc({ ports: [{ port: 80, nodePort: 30080 }] }), want: ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"] },
  { name: 'named targetPort must be an IANA name', kind: 'Service', obj: svc({ ports: [{ port: 80, targetPort: 'HTTP--x' }] }), want: ['spec.ports[0].targetPort: Invalid value: "HTTP--x"'] },
  { name: 'service name must be DNS-1035', kind: 'Service', obj: svc({ ports: [{ port: 80 }] }, '1web'), want: ['metadata.name: Invalid value: "1web": must be a DNS-1035 label'] },
  { name: 'bad cluster IP', kind: 'Service', obj: svc({ clusterIP: '10.0.0.300', ports: [{ port: 80 }] }), want: ['spec.clusterIP: Invalid value: "10.0.0.300": must be a valid IP address'] },
  { name: 'externalTrafficPolicy on ClusterIP', kind: 'Service', obj: svc({ externalTrafficPolicy: 'Local', ports: [{ port: 80 }] }), want: ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set'] },
  { name: 'cluster IP immutable', kind: 'Service', obj: svc({ clusterIP: '10.96.0.11', ports: [{ port: 80 }] }), old: svc({ clusterIP: '10.96.0.10', ports: [{ port: 80 }] }), want: ['spec.clusterIP: Invalid value: "10.96.0.11": field is immutable'] },
  { name: 'cluster IP carried over is fine', kind: 'Service', obj: svc({ clusterIP: '10.96.0.10', ports: [{ port: 81 }] }), old: svc({ clusterIP: '10.96.0.10', ports: [{ port: 80 }] }), want: [] },
  { name: 'name or generateName required', kind: 'Pod', obj: pod({ containers: [c()] }, { name: undefined }), want: ['metadata.name: Required value: name or generateName is required'] },
  { name: 'generateName prefix accepted', kind: 'Pod', obj: pod({ containers: [c()] }, { name: undefined, generateName: 'web-' }), want: [] },
  { name: 'bad pod name and label', kind: 'Pod', obj: pod({ containers: [c()] }, { name: 'Web_1', labels: { 'app/x/y': 'ok', tier: 'bad value' } }), want: ['metadata.name: Invalid value: "Web_1"', 'metadata.labels: Invalid value: "app/x/y"', 'metadata.labels[tier]: Invalid value: "bad value"'] },
  { name: 'pod without containers', kind: 'Pod', obj: pod({ containers: [] }), want: ['spec.containers: Required value'] },
  { name: 'container without image, duplicate names', kind: 'Pod', obj: pod({ containers: [c(), { name: 'web' }] }), want: ['spec.containers[1].image: Required value', 'spec.containers[1].name: Duplicate value: "web"'] },
  { name: 'container port checks', kind: 'Pod', obj: pod({ containers: [c({ ports: [{ containerPort: 0 }, { containerPort: 80, name: 'http', protocol: 'tcp' }, { containerPort: 81, name: 'http' }] })] }), want: ['spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive', 'spec.containers[0].ports[1].protocol: Unsupported value: "tcp"', 'spec.containers[0].ports[2].name: Duplicate value: "http"'] },
  { name: 'volume mount must name a volume', kind: 'Pod', obj: pod({ volumes: [{ name: 'data', emptyDir: {} }], containers: [c({ volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'cfg', mountPath: '/c' }] })] }), want: ['spec.containers[0].volumeMounts[1].name: Not found: "cfg"'] },
  { name: 'enum fields', kind: 'Pod', obj: pod({ restartPolicy: 'Sometimes', dnsPolicy: 'Google', containers: [c({ imagePullPolicy: 'Maybe' })] }), want: ['spec.containers[0].imagePullPolicy: Unsupported value: "Maybe"', 'spec.restartPolicy: Unsupported value: "Sometimes"', 'spec.dnsPolicy: Unsupported value: "Google"'] },
  { name: 'real-world pod with opaque parts', kind: 'Pod', obj: pod({ securityContext: { runAsNonRoot: true }, affinity: { nodeAffinity: {} }, volumes: [{ name: 'v', configMap: { name: 'x' } }], containers: [c({ resources: { limits: { cpu: 1, memory: '128Mi' } }, securityContext: { capabilities: { add: ['NET_ADMIN'] } }, volumeMounts: [{ name: 'v', mountPath: '/v' }], livenessProbe: { exec: { command: ['true'] } } })] }), want: [] },
  { name: 'pod update may change the image only', kind: 'Pod', obj: pod({ containers: [c({ image: 'nginx:2' })] }), old: pod({ containers: [c()] }), want: [] },
  { name: 'pod update may not change ports', kind: 'Pod', obj: pod({ containers: [c({ ports: [{ containerPort: 80 }] })] }), old: pod({ containers: [c()] }), want: ['spec: Forbidden: pod updates may only change'] },
  { name: 'valid deployment', kind: 'Deployment', obj: deploy({ selector: { matchLabels: { app: 'd' } }, template: tmpl({ app: 'd', tier: 'x' }) }), want: [] },
  { name: 'deployment selector must match template', kind: 'Deployment', obj: deploy({ selector: { matchLabels: { app: 'd' } }, template: tmpl({ app: 'e' }) }), want: ['spec.template.metadata.labels: Invalid value: {"app":"e"}: `selector` does not match template `labels`'] },
  { name: 'deployment empty selector', kind: 'Deployment', obj: deploy({ selector: {}, template: tmpl({ app: 'd' }) }), want: ['spec.selector: Invalid value: {}: empty selector is invalid for deployment'] },
  { name: 'deployment template restartPolicy Always only', kind: 'Deployment', obj: deploy({ selector: { matchLabels: { app: 'd' } }, template: tmpl({ app: 'd' }, { restartPolicy: 'Never' }) }), want: ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'] },
  { name: 'deployment negative replicas, zero surge and unavailable', kind: 'Deployment', obj: deploy({ replicas: -1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }, selector: { matchLabels: { app: 'd' } }, template: tmpl({ app: 'd' }) }), want: ['spec.replicas: Invalid value: -1: must be greater than or equal to 0', 'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0'] },
  { name: 'deployment bad percent', kind: 'Deployment', obj: deploy({ strategy: { rollingUpdate: { maxUnavailable: '150%', maxSurge: 'lots' } }, selector: { matchLabels: { app: 'd' } }, template: tmpl({ app: 'd' }) }), want: ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%', 'spec.strategy.rollingUpdate.maxSurge: Invalid value: "lots"'] },
  { name: 'deployment selector immutable', kind: 'Deployment', obj: deploy({ selector: { matchLabels: { app: 'd', v: '2' } }, template: tmpl({ app: 'd', v: '2' }) }), old: deploy({ selector: { matchLabels: { app: 'd' } }, template: tmpl({ app: 'd' }) }), want: ['spec.selector: Invalid value: {"matchLabels":{"app":"d","v":"2"}}: field is immutable'] },
  { name: 'namespace name is a DNS label', kind: 'Namespace', obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } }, want: ['metadata.name: Invalid value: "a.b": must be a lowercase RFC 1123 label'] },
  { name: 'cluster-scoped kinds refuse a namespace', kind: 'Node', obj: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', namespace: 'default' } }, want: ['metadata.namespace: Forbidden: not allowed on this type'] },
  { name: 'node pod CIDR', kind: 'Node', obj: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/33' } }, want: ['spec.podCIDR: Invalid value: "10.244.1.0/33"'] },
  { name: 'endpointslice address family', kind: 'EndpointSlice', obj: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 's', namespace: 'default' }, addressType: 'IPv4', endpoints: [{ addresses: ['fd00::1'] }], ports: [{ port: 80 }] }, want: ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address'] },
  { name: 'endpoints port range', kind: 'Endpoints', obj: { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'e', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 0 }] }] }, want: ['subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'] },
  { name: 'event names may contain dots and capitals', kind: 'Event', obj: { apiVersion: 'v1', kind: 'Event', metadata: { name: 'web.17A9', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, type: 'Normal' }, want: [] },
  { name: 'binding needs a target', kind: 'Binding', obj: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p', namespace: 'default' }, target: { kind: 'Node' } }, want: ['target.name: Required value'] },
  { name: 'missing spec is a required value', kind: 'Pod', obj: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } }, want: ['spec: Required value'] },
];

for (const tc of cases) {
  test(`validateObject: ${tc.name}`, () => {
    const got = validateObject(tc.kind, tc.obj, tc.old === undefined ? {} : { old: tc.old }).map((x) => `${x.field}: ${x.message}`);
    assert.equal(got.length, tc.want.length, `got ${JSON.stringify(got, null, 1)}`);
    tc.want.forEach((w, i) => assert.ok(got[i]?.startsWith(w), `cause ${i}: want prefix ${w}\n got ${got[i]}`));
  });
}

test('validateObject: causes carry Kubernetes reasons', () => {
  const causes = validateObject('Service', svc({ ports: [{ port: 0 }, { port: 1, name: 'x' }] }));
  assert.deepEqual(causes.map((x) => x.reason), ['FieldValueRequired', 'FieldValueInvalid']);
});

test('invalidMessage formats one and several causes as Kubernetes does', () => {
  const one = [{ field: 'spec.ports[0].port', message: 'Invalid value: 0: must be between 1 and 65535, inclusive' }];
  assert.equal(invalidMessage('Service', 'web', one), 'Service "web" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive');
  assert.equal(invalidMessage('Pod', 'p', [{ field: 'a', message: 'x' }, { field: 'b', message: 'y' }]), 'Pod "p" is invalid: [a: x, b: y]');
});
