import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { parseObject } from './decode.js';
import { defaultObject } from './defaults.js';
import { kindByApiVersion } from './kinds.js';
import { findUnknownFields } from './unknown-fields.js';
import { validateObject } from './validate.js';

/**
 * Manifests as users and kubectl write them (`kubectl create ... --dry-run=client -o yaml`
 * output with its nulls and empty objects, and typical hand-written ones with opaque parts):
 * none may be rejected, report unknown fields, or fail validation after defaulting.
 */
const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, creationTimestamp: null, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {}
  template:
    metadata: {creationTimestamp: null, labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80}]
        resources: {}
status: {}
---
apiVersion: v1
kind: Service
metadata: {name: web, creationTimestamp: null, labels: {app: web}}
spec:
  ports: [{name: 80-8080, protocol: TCP, port: 80, targetPort: 8080}]
  selector: {app: web}
  type: NodePort
status: {loadBalancer: {}}
---
apiVersion: v1
kind: Pod
metadata:
  name: dns-test
  annotations: {example.com/owner: team-net}
spec:
  hostname: dns-test
  subdomain: headless
  dnsPolicy: None
  dnsConfig: {nameservers: [10.96.0.10], searches: [default.svc.cluster.local], options: [{name: ndots, value: "5"}]}
  securityContext: {runAsUser: 1000, fsGroup: 2000, seccompProfile: {type: RuntimeDefault}}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/os, operator: In, values: [linux]}]}]
  tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]
  volumes:
  - {name: cfg, configMap: {name: cfg, items: [{key: a, path: a}]}}
  - {name: scratch, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
  initContainers:
  - {name: init, image: busybox:1.36, command: [sh, -c, "true"]}
  containers:
  - name: app
    image: registry.local:5000/app@sha256:0123
    args: ["--port=8080"]
    env:
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: MODE, value: test}
    envFrom: [{configMapRef: {name: cfg}, prefix: CFG_}]
    ports: [{name: http, containerPort: 8080, protocol: TCP}, {name: dns, containerPort: 53, protocol: UDP}]
    resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 1, memory: 128Mi}}
    volumeMounts: [{name: cfg, mountPath: /etc/cfg, readOnly: true}, {name: scratch, mountPath: /tmp}]
    readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 5}
    livenessProbe: {tcpSocket: {port: 8080}, initialDelaySeconds: 3}
    lifecycle: {preStop: {exec: {command: [sleep, "2"]}}}
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    stdin: false
    tty: false
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints:
- addresses: [10.244.1.5]
  conditions: {ready: true, serving: true, terminating: false}
  nodeName: n1
  targetRef: {kind: Pod, name: web-1, namespace: default}
ports: [{name: http, port: 8080, protocol: TCP}]
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: n1, namespace: kube-node-lease}
spec: {holderIdentity: n1, leaseDurationSeconds: 40, renewTime: "2024-05-01T10:00:00.000000Z"}
`;

for (const doc of manifests.split(/^---$/m)) {
  const raw = parseYaml(doc) as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
  test(`real-world ${raw.kind} ${raw.metadata.name}: accepted, no unknown fields, valid after defaulting`, () => {
    const kind = kindByApiVersion(raw.apiVersion, raw.kind);
    assert.ok(kind);
    raw.metadata.namespace ??= 'default';
    assert.deepEqual(findUnknownFields(kind, raw), []);
    const parsed = parseObject(kind, raw);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const defaulted = defaultObject(kind, parsed.value);
    assert.deepEqual(validateObject(kind, defaulted), []);
    assert.deepEqual(validateObject(kind, raw), []);
  });
}
