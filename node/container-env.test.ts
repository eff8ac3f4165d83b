import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod, Service } from '../controller/api/index.js';
import { containerArgv, containerEnv, expandVars } from './container-env.js';
import { serviceEnv } from './service-env.js';

const pod = (over: Partial<Pod['spec']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' }, annotations: { 'team/owner': 'blue' } },
  spec: { containers: [{ name: 'c' }], serviceAccountName: 'runner', ...over },
});
const ctx = { podIp: '10.244.1.7', hostIp: '172.29.0.3', nodeName: 'n1' };

const svc = (namespace: string, name: string, clusterIP: string, ports: { name?: string; port: number; protocol?: string }[]): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace, name },
  spec: { clusterIP, ports },
});

describe('$(VAR) expansion', () => {
  const vars = { A: 'x', B: 'y' };
  const cases: [string, string, string][] = [
    ['known reference', 'a=$(A)', 'a=x'],
    ['two references', '$(A)-$(B)', 'x-y'],
    ['unknown reference stays', '$(C)', '$(C)'],
    ['$$ escapes', '$$(A)', '$(A)'],
    ['plain text', 'no vars', 'no vars'],
  ];
  for (const [name, input, want] of cases) it(name, () => assert.equal(expandVars(input, vars), want));
});

describe('container environment', () => {
  const cases: { name: string; env: Container['env']; want: Record<string, string>; absent?: string[] }[] = [
    { name: 'literal values', env: [{ name: 'X', value: '1' }], want: { X: '1' } },
    { name: 'later values refer to earlier ones', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '$(X)2' }], want: { Y: '12' } },
    {
      name: 'fieldRefs from the pod and node',
      env: [
        { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'OWNER', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['team/owner']" } } },
      ],
      want: { NAME: 'web-1', NS: 'shop', IP: '10.244.1.7', HOST: '172.29.0.3', NODE: 'n1', SA: 'runner', APP: 'web', OWNER: 'blue' },
    },
    { name: 'a container env var overrides a service variable', env: [{ name: 'API_SERVICE_HOST', value: 'mine' }], want: { API_SERVICE_HOST: 'mine' } },
    {
      name: 'optional secret refs are left out, required ones are empty',
      env: [
        { name: 'OPT', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } },
        { name: 'REQ', valueFrom: { configMapKeyRef: { name: 'm', key: 'k' } } },
      ],
      want: { REQ: '' },
      absent: ['OPT'],
    },
    { name: 'HOSTNAME is the pod name and service variables come first', env: [], want: { HOSTNAME: 'web-1', API_SERVICE_HOST: '10.96.0.9' } },
  ];
  for (const c of cases)
    it(c.name, () => {
      const env = containerEnv(pod(), { name: 'c', env: c.env }, { API_SERVICE_HOST: '10.96.0.9' }, ctx);
      for (const [k, v] of Object.entries(c.want)) assert.equal(env[k], v, k);
      for (const k of c.absent ?? []) assert.ok(!(k in env), `${k} must be absent`);
    });

  it('argv: command + args with $(VAR) expanded; no command means nothing to run', () => {
    const env = { GREETING: 'hi' };
    assert.deepEqual(containerArgv({ name: 'c', command: ['/bin/echo'], args: ['$(GREETING)', '$$(GREETING)'] }, env), ['/bin/echo', 'hi', '$(GREETING)']);
    assert.equal(containerArgv({ name: 'c', image: 'nginx' }, env), undefined);
  });
});

describe('service environment variables', () => {
  const services = [
    svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443 }]),
    svc('shop', 'web-front', '10.96.3.4', [{ name: 'http', port: 80 }, { name: 'dns-udp', port: 53, protocol: 'UDP' }]),
    svc('shop', 'headless', 'None', [{ port: 80 }]),
    svc('other', 'elsewhere', '10.96.9.9', [{ port: 1 }]),
  ];
  it('the namespace services and kubernetes, in the kubelet format', () => {
    assert.deepEqual(serviceEnv(services, 'shop', true), {
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
      WEB_FRONT_SERVICE_HOST: '10.96.3.4',
      WEB_FRONT_SERVICE_PORT: '80',
      WEB_FRONT_SERVICE_PORT_HTTP: '80',
      WEB_FRONT_SERVICE_PORT_DNS_UDP: '53',
      WEB_FRONT_PORT: 'tcp://10.96.3.4:80',
      WEB_FRONT_PORT_80_TCP: 'tcp://10.96.3.4:80',
      WEB_FRONT_PORT_80_TCP_PROTO: 'tcp',
      WEB_FRONT_PORT_80_TCP_PORT: '80',
      WEB_FRONT_PORT_80_TCP_ADDR: '10.96.3.4',
      WEB_FRONT_PORT_53_UDP: 'udp://10.96.3.4:53',
      WEB_FRONT_PORT_53_UDP_PROTO: 'udp',
      WEB_FRONT_PORT_53_UDP_PORT: '53',
      WEB_FRONT_PORT_53_UDP_ADDR: '10.96.3.4',
    });
  });
  it('enableServiceLinks: false keeps only kubernetes', () => {
    assert.deepEqual(Object.keys(serviceEnv(services, 'shop', false)).filter((k) => !k.startsWith('KUBERNETES_')), []);
    assert.equal(serviceEnv(services, 'shop', false).KUBERNETES_SERVICE_HOST, '10.96.0.1');
  });
});
