import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ask, fixedRcode } from '../../testing.js';
import { Rcode } from '../../message.js';
import { RecordIndex } from './record-index.js';
import { kubernetesPlugin, type PodMode } from './handler.js';
import { fixtureIndex } from './fixture.js';

function setup(pods: PodMode = 'insecure', synced = true) {
  const index = fixtureIndex();
  index.upsertPod({ metadata: { namespace: 'ns1', name: 'p' }, status: { podIP: '10.244.1.5' } });
  const plugin = kubernetesPlugin({ index, reverseZones: ['in-addr.arpa', 'ip6.arpa'], pods, fallthrough: ['in-addr.arpa', 'ip6.arpa'], synced: () => synced });
  return { index, plugins: [plugin, fixedRcode(Rcode.REFUSED)] };
}

const SOA = 'cluster.local 5 SOA ns.dns.cluster.local hostmaster.cluster.local 5';
const NODATA = { rcode: 'NOERROR', answer: [], authority: [SOA], additional: [] };
const NX = { rcode: 'NXDOMAIN', answer: [], authority: [SOA], additional: [] };
type Want = { rcode: string; answer: string[]; authority?: string[]; additional?: string[] };

const cases: { q: string; t: string; want: Want; pods?: PodMode }[] = [
  { q: 'dns-version.cluster.local', t: 'TXT', want: { rcode: 'NOERROR', answer: ['dns-version.cluster.local 28800 TXT "1.1.0"'] } },
  { q: 'web.ns1.svc.cluster.local', t: 'A', want: { rcode: 'NOERROR', answer: ['web.ns1.svc.cluster.local 5 A 10.96.0.10'] } },
  { q: 'WeB.Ns1.svc.Cluster.Local', t: 'A', want: { rcode: 'NOERROR', answer: ['WeB.Ns1.svc.Cluster.Local 5 A 10.96.0.10'] } },
  { q: 'web.ns1.svc.cluster.local.', t: 'AAAA', want: NODATA },
  { q: 'web.ns1.svc.cluster.local', t: 'TXT', want: NODATA },
  { q: 'dual.ns1.svc.cluster.local', t: 'AAAA', want: { rcode: 'NOERROR', answer: ['dual.ns1.svc.cluster.local 5 AAAA fd00:10:96::11'] } },
  { q: '_http._tcp.web.ns1.svc.cluster.local', t: 'SRV', want: { rcode: 'NOERROR', answer: ['_http._tcp.web.ns1.svc.cluster.local 5 SRV 0 100 80 web.ns1.svc.cluster.local'], additional: ['web.ns1.svc.cluster.local 5 A 10.96.0.10'] } },
  { q: '_dns._udp.dual.ns1.svc.cluster.local', t: 'SRV', want: { rcode: 'NOERROR', answer: ['_dns._udp.dual.ns1.svc.cluster.local 5 SRV 0 100 53 dual.ns1.svc.cluster.local'], additional: ['dual.ns1.svc.cluster.local 5 A 10.96.0.11', 'dual.ns1.svc.cluster.local 5 AAAA fd00:10:96::11'] } },
  { q: '_http._udp.web.ns1.svc.cluster.local', t: 'SRV', want: NX },
  { q: '10.0.96.10.in-addr.arpa', t: 'PTR', want: { rcode: 'NOERROR', answer: ['10.0.96.10.in-addr.arpa 5 PTR web.ns1.svc.cluster.local'] } },
  { q: '1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa', t: 'PTR', want: { rcode: 'NOERROR', answer: ['1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa 5 PTR dual.ns1.svc.cluster.local'] } },
  { q: '99.0.96.10.in-addr.arpa', t: 'PTR', want: { rcode: 'REFUSED', answer: [], authority: [] } }, // fell through to the next plugin
  { q: 'db.ns1.svc.cluster.local', t: 'A', want: { rcode: 'NOERROR', answer: ['db.ns1.svc.cluster.local 5 A 10.244.1.5', 'db.ns1.svc.cluster.local 5 A 10.244.2.6'] } },
  { q: 'db-0.db.ns1.svc.cluster.local', t: 'A', want: { rcode: 'NOERROR', answer: ['db-0.db.ns1.svc.cluster.local 5 A 10.244.1.5'] } },
  { q: '10-244-2-6.db.ns1.svc.cluster.local', t: 'A', want: { rcode: 'NOERROR', answer: ['10-244-2-6.db.ns1.svc.cluster.local 5 A 10.244.2.6'] } },
  { q: 'db-2.db.ns1.svc.cluster.local', t: 'A', want: NX },
  { q: '_pg._tcp.db.ns1.svc.cluster.local', t: 'SRV', want: { rcode: 'NOERROR', answer: ['_pg._tcp.db.ns1.svc.cluster.local 5 SRV 0 50 5432 10-244-2-6.db.ns1.svc.cluster.local', '_pg._tcp.db.ns1.svc.cluster.local 5 SRV 0 50 5432 db-0.db.ns1.svc.cluster.local'], additional: ['10-244-2-6.db.ns1.svc.cluster.local 5 A 10.244.2.6', 'db-0.db.ns1.svc.cluster.local 5 A 10.244.1.5'] } },
  { q: '5.1.244.10.in-addr.arpa', t: 'PTR', want: { rcode: 'NOERROR', answer: ['5.1.244.10.in-addr.arpa 5 PTR db-0.db.ns1.svc.cluster.local'] } },
  { q: 'pnr.ns1.svc.cluster.local', t: 'A', want: { rcode: 'NOERROR', answer: ['pnr.ns1.svc.cluster.local 5 A 10.244.1.9'] } },
  { q: 'empty.ns1.svc.cluster.local', t: 'A', want: NX },
  { q: 'v6.ns2.svc.cluster.local', t: 'AAAA', want: { rcode: 'NOERROR', answer: ['v6.ns2.svc.cluster.local 5 AAAA fd00:244::5'] } },
  { q: 'fd00-244--5.v6.ns2.svc.cluster.local', t: 'AAAA', want: { rcode: 'NOERROR', answer: ['fd00-244--5.v6.ns2.svc.cluster.local 5 AAAA fd00:244::5'] } },
  { q: 'ext.ns1.svc.cluster.local', t: 'A', want: { rcode: 'NOERROR', answer: ['ext.ns1.svc.cluster.local 5 CNAME example.com'] } },
  { q: 'ext.ns1.svc.cluster.local', t: 'CNAME', want: { rcode: 'NOERROR', answer: ['ext.ns1.svc.cluster.local 5 CNAME example.com'] } },
  { q: 'cluster.local', t: 'A', want: NODATA },
  { q: 'cluster.local', t: 'SOA', want: { rcode: 'NOERROR', answer: [SOA], authority: [] } },
  { q: 'svc.cluster.local', t: 'A', want: NODATA },
  { q: 'pod.cluster.local', t: 'A', want: NODATA },
  { q: 'ns1.svc.cluster.local', t: 'A', want: NODATA },
  { q: 'nope.svc.cluster.local', t: 'A', want: NX },
  { q: 'missing.ns1.svc.cluster.local', t: 'A', want: NX },
  { q: 'web.ns1.svc.cluster.local.ns1.svc.cluster.local', t: 'A', want: NX },
  { q: 'web.ns1', t: 'A', want: { rcode: 'REFUSED', answer: [], authority: [] } },
  { q: '10-244-9-9.ns1.pod.cluster.local', t: 'A', want: { rcode: 'NOERROR', answer: ['10-244-9-9.ns1.pod.cluster.local 5 A 10.244.9.9'] } },
  { q: '10-244-9-9.ns1.pod.cluster.local', t: 'AAAA', want: NODATA },
  { q: 'not-an-ip.ns1.pod.cluster.local', t: 'A', want: NX },
  { q: '10-244-9-9.ns1.pod.cluster.local', t: 'A', pods: 'disabled', want: NX },
  { q: '10-244-9-9.ns1.pod.cluster.local', t: 'A', pods: 'verified', want: NX },
  { q: '10-244-1-5.ns1.pod.cluster.local', t: 'A', pods: 'verified', want: { rcode: 'NOERROR', answer: ['10-244-1-5.ns1.pod.cluster.local 5 A 10.244.1.5'] } },
  { q: '10-244-1-5.ns2.pod.cluster.local', t: 'A', pods: 'verified', want: NX },
];

for (const c of cases) {
  test(`kubernetes: ${c.q} ${c.t}${c.pods ? ` (pods ${c.pods})` : ''} → ${c.want.rcode}`, async () => {
    const { plugins } = setup(c.pods);
    const got = await ask(plugins, c.q, c.t);
    assert.deepEqual(
      { rcode: got.rcode, answer: got.answer, authority: got.authority, additional: got.additional },
      { rcode: c.want.rcode, answer: c.want.answer, authority: c.want.authority ?? (c.want.rcode === 'REFUSED' ? [] : c.want.answer.length ? [] : [SOA]), additional: c.want.additional ?? [] },
    );
    if (c.want.rcode !== 'REFUSED') assert.equal(got.aa, true, 'authoritative');
  });
}

test('kubernetes: before the first sync a would-be NXDOMAIN is SERVFAIL, NODATA and answers stay', async () => {
  const { plugins } = setup('insecure', false);
  assert.equal((await ask(plugins, 'missing.ns1.svc.cluster.local', 'A')).rcode, 'SERVFAIL');
  assert.equal((await ask(plugins, 'web.ns1.svc.cluster.local', 'A')).rcode, 'NOERROR');
  assert.equal((await ask(plugins, 'ns1.svc.cluster.local', 'A')).rcode, 'NOERROR');
});

test('kubernetes: index changes show at once (create, endpoints become ready, delete)', async () => {
  const { index, plugins } = setup();
  let changes = 0;
  index.onChange(() => changes++);
  assert.equal((await ask(plugins, 'new.ns3.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
  const s = { metadata: { namespace: 'ns3', name: 'new' }, spec: { clusterIP: '10.96.3.3' } };
  index.upsertService(s);
  assert.deepEqual((await ask(plugins, 'new.ns3.svc.cluster.local', 'A')).answer, ['new.ns3.svc.cluster.local 5 A 10.96.3.3']);
  assert.equal((await ask(plugins, 'ns3.svc.cluster.local', 'A')).rcode, 'NOERROR');
  index.deleteService(s);
  assert.equal((await ask(plugins, 'new.ns3.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
  assert.equal((await ask(plugins, 'ns3.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
  index.upsertSlice({ metadata: { namespace: 'ns1', name: 'empty-1', labels: { 'kubernetes.io/service-name': 'empty' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.10'], conditions: { ready: true } }] });
  assert.deepEqual((await ask(plugins, 'empty.ns1.svc.cluster.local', 'A')).answer, ['empty.ns1.svc.cluster.local 5 A 10.244.1.10']);
  assert.equal(changes, 3);
});

test('kubernetes: endpoint_pod_names names hostname-less endpoints after their Pod (a valid label), else the dashed address', async () => {
  const slice = {
    metadata: { namespace: 'ns4', name: 'hl-1', labels: { 'kubernetes.io/service-name': 'hl' } }, addressType: 'IPv4',
    endpoints: [
      { addresses: ['10.244.4.1'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'hl-7d9f-x2v', namespace: 'ns4' } },
      { addresses: ['10.244.4.2'], conditions: { ready: true }, hostname: 'fixed', targetRef: { kind: 'Pod', name: 'hl-other', namespace: 'ns4' } },
      { addresses: ['10.244.4.3'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'has.dots', namespace: 'ns4' } },
      { addresses: ['10.244.4.4'], conditions: { ready: true } },
    ],
  };
  for (const [podNames, want] of [
    [true, ['10-244-4-3.hl.ns4.svc.cluster.local', '10-244-4-4.hl.ns4.svc.cluster.local', 'fixed.hl.ns4.svc.cluster.local', 'hl-7d9f-x2v.hl.ns4.svc.cluster.local']],
    [false, ['10-244-4-1.hl.ns4.svc.cluster.local', '10-244-4-3.hl.ns4.svc.cluster.local', '10-244-4-4.hl.ns4.svc.cluster.local', 'fixed.hl.ns4.svc.cluster.local']],
  ] as const) {
    const index = new RecordIndex({ zone: 'cluster.local', ttl: 5, endpointPodNames: podNames });
    index.upsertService({ metadata: { namespace: 'ns4', name: 'hl' }, spec: { clusterIP: 'None' } });
    index.upsertSlice(slice);
    const plugin = kubernetesPlugin({ index, reverseZones: ['in-addr.arpa'], pods: 'disabled', fallthrough: [], synced: () => true });
    const names = [];
    for (const ip of ['1', '2', '3', '4']) names.push(...(await ask([plugin], `${ip}.4.244.10.in-addr.arpa`, 'PTR')).answer.map((l) => l.split(' ').pop()!));
    assert.deepEqual(names.sort(), [...want]);
    assert.equal((await ask([plugin], `${want[want.length - 1]}`, 'A')).rcode, 'NOERROR');
  }
});
