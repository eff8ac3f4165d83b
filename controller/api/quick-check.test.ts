import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { defaultObject } from './defaults.js';
import { resolveKind } from './kinds.js';
import { quickCheck } from './quick-check.js';

/**
 * The quick check may only confirm what zod accepts, with zod's output equal to the input. Each
 * fixture (valid, so the fast path is really taken) is mutated at every path — key removed, value
 * replaced by values of other types, an unknown key added — and every variant the quick check
 * confirms must parse with zod to the same value.
 */
const fixtures = parseYamlAll(`
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default, labels: {app: web}, annotations: {a: b}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u1, controller: true}]}
spec:
  nodeName: n1
  volumes: [{name: data, emptyDir: {}}]
  tolerations: [{key: k, operator: Exists, effect: NoSchedule}]
  containers:
  - name: web
    image: nginx:1.27
    args: [a, b]
    ports: [{containerPort: 80, name: http, protocol: TCP}]
    env: [{name: A, value: x}, {name: B, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
    resources: {limits: {cpu: 500m, memory: 1}, requests: {cpu: "1"}}
    readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 5}
    volumeMounts: [{name: data, mountPath: /data}]
status: {phase: Running, podIP: 10.0.0.5, podIPs: [{ip: 10.0.0.5}], conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}, {port: 53, targetPort: dns, protocol: UDP}]
  type: NodePort
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10]
status: {loadBalancer: {}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: d}, matchExpressions: [{key: tier, operator: In, values: [web]}]}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 25%}}
  template:
    metadata: {labels: {app: d, tier: web}}
    spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s-abc, namespace: default, labels: {kubernetes.io/service-name: s}}
addressType: IPv4
endpoints: [{addresses: [10.0.0.5], conditions: {ready: true}, nodeName: n1, targetRef: {kind: Pod, name: p, namespace: default}}]
ports: [{name: http, port: 8080, protocol: TCP}]
---
apiVersion: v1
kind: Node
metadata: {name: n1}
spec: {podCIDR: 10.244.1.0/24, taints: [{key: k, effect: NoSchedule}]}
status:
  addresses: [{type: InternalIP, address: 10.0.0.11}]
  capacity: {cpu: "2", pods: "110"}
  conditions: [{type: Ready, status: "True", reason: KubeletReady}]
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: l, namespace: kube-node-lease}
spec: {holderIdentity: n1, leaseDurationSeconds: 40, renewTime: "2024-05-01T10:00:00.000000Z"}
`);

function parseYamlAll(text: string): Record<string, unknown>[] {
  return text.split(/^---$/m).map((d) => parseYaml(d) as Record<string, unknown>);
}

type Json = unknown;
const OTHERS: Json[] = ['x', 0, 1.5, -1, 2 ** 60, true, [], {}, ['x'], [1], { unknownKey: 1 }];

/** Every variant of `v` with one change somewhere in it. */
function* variants(v: Json): Generator<Json> {
  for (const o of OTHERS) yield o;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) for (const x of variants(v[i])) yield v.map((e, j) => (j === i ? x : e));
    yield [...v, ...v.slice(0, 1)];
    yield v.slice(1);
  } else if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, Json>;
    for (const k of Object.keys(o)) {
      const { [k]: _drop, ...rest } = o;
      yield rest;
      for (const x of variants(o[k])) yield { ...o, [k]: x };
    }
    yield { ...o, notAField: 'x' };
  }
}

for (const raw of fixtures) {
  const kindName = String(raw.kind);
  test(`quick check confirms only what zod accepts unchanged: ${kindName}`, () => {
    const kind = resolveKind(kindName)!;
    for (const base of [raw, defaultObject(kind, raw)]) {
      assert.equal(kind.schema.safeParse(base).success, true, 'the fixture is valid');
      assert.equal(quickCheck(kind.schema, base), true, 'a valid fixture is confirmed (the fast path is taken)');
      let confirmed = 0;
      let refused = 0;
      for (const v of variants(base)) {
        if (!quickCheck(kind.schema, v)) {
          refused++;
          continue;
        }
        confirmed++;
        const r = kind.schema.safeParse(v);
        assert.equal(r.success, true, `confirmed but zod refuses: ${JSON.stringify(v).slice(0, 300)}`);
        assert.deepEqual(r.data, v, `confirmed but zod's output differs: ${JSON.stringify(v).slice(0, 300)}`);
      }
      assert.ok(confirmed > 0 && refused > 0, `both verdicts occur (${confirmed} confirmed, ${refused} refused)`);
    }
  });
}
