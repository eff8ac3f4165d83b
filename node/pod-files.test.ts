import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../controller/api/index.js';
import { hostsFile, resolvConf } from './pod-files.js';

const pod = (spec: Partial<Pod['spec']> = {}): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop' }, spec: { containers: [{ name: 'c' }], ...spec } });
const HOST = 'nameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n';
const dns = { clusterDns: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolvConf: HOST };

describe('resolv.conf', () => {
  const cases: { name: string; pod: Pod; settings?: typeof dns; want: string }[] = [
    {
      name: 'ClusterFirst (default): cluster DNS, namespace search path, ndots:5',
      pod: pod(),
      want: 'nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n',
    },
    { name: 'Default: the node resolver', pod: pod({ dnsPolicy: 'Default' }), want: 'nameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n' },
    { name: 'ClusterFirst with hostNetwork falls back to the node resolver', pod: pod({ hostNetwork: true }), want: 'nameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n' },
    { name: 'ClusterFirst without --cluster-dns falls back to the node resolver', pod: pod(), settings: { ...dns, clusterDns: [] }, want: 'nameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n' },
    {
      name: 'None: only dnsConfig',
      pod: pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.example'], options: [{ name: 'edns0' }] } }),
      want: 'nameserver 1.1.1.1\nsearch a.example\noptions edns0\n',
    },
    {
      name: 'dnsConfig merges: extra server and search, options replaced by name',
      pod: pod({ dnsConfig: { nameservers: ['10.0.0.53', '10.96.0.10'], searches: ['extra.example'], options: [{ name: 'ndots', value: '2' }, { name: 'single-request' }] } }),
      want: 'nameserver 10.96.0.10\nnameserver 10.0.0.53\nsearch shop.svc.cluster.local svc.cluster.local cluster.local extra.example\noptions ndots:2 single-request\n',
    },
    {
      name: 'at most three name servers',
      pod: pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'] } }),
      want: 'nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n',
    },
    { name: 'custom cluster domain', pod: pod(), settings: { ...dns, clusterDomain: 'k.test' }, want: 'nameserver 10.96.0.10\nsearch shop.svc.k.test svc.k.test k.test\noptions ndots:5\n' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(resolvConf(c.pod, c.settings ?? dns), c.want));
});

describe('hosts file', () => {
  const tail = (text: string) => text.split('\n').slice(7).join('\n');
  const cases: { name: string; pod: Pod; ip: string | undefined; want: string }[] = [
    { name: 'pod address with the pod name', pod: pod(), ip: '10.244.1.7', want: '10.244.1.7\tweb-1\n' },
    { name: 'hostname + subdomain gives the FQDN first', pod: pod({ hostname: 'db-0', subdomain: 'db' }), ip: '10.244.1.8', want: '10.244.1.8\tdb-0.db.shop.svc.cluster.local\tdb-0\n' },
    { name: 'hostAliases follow', pod: pod({ hostAliases: [{ ip: '192.0.2.9', hostnames: ['a.example', 'b.example'] }] }), ip: '10.244.1.9', want: '10.244.1.9\tweb-1\n192.0.2.9\ta.example\tb.example\n' },
    { name: 'no address yet: only the fixed entries', pod: pod(), ip: undefined, want: '' },
  ];
  for (const c of cases)
    it(c.name, () => {
      const text = hostsFile(c.pod, c.ip, 'cluster.local');
      assert.match(text, /^# Kubernetes-managed hosts file.*\n127\.0\.0\.1\tlocalhost\n/);
      assert.equal(tail(text), c.want);
    });
});
