/**
 * Real clients against the DNS server in a network namespace: dig for every record type (UDP,
 * TCP, EDNS sizes, truncation and TCP retry), glibc's getent walking the search path with the
 * exact query sequence from the query log, watch behaviour through the index feed, and forwarding
 * to a stub upstream.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsNamespace, SERVER_IP, flagsOf, lines, status } from './harness.js';

const ns = new DnsNamespace();
const config = {
  listen: `${SERVER_IP}:53`, errors: {}, log: { to: 'stdout' }, loadbalance: {}, cache: {},
  kubernetes: { zone: 'cluster.local', ttl: 5, pods: 'insecure' }, external: { zone: 'example.org' },
  forward: { upstreams: [`${SERVER_IP}:5300`] },
};

before(async () => {
  ns.setup();
  await ns.startServer(config, `${SERVER_IP}:5300`);
});
after(() => ns.cleanup());

const SOA = 'cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local.';
const cases: { q: string; t: string; status: string; answer: string[]; authority?: boolean }[] = [
  { q: 'web.ns1.svc.cluster.local', t: 'A', status: 'NOERROR', answer: ['web.ns1.svc.cluster.local. 5 IN A 10.96.0.10'] },
  { q: 'WEB.ns1.svc.cluster.local', t: 'A', status: 'NOERROR', answer: ['WEB.ns1.svc.cluster.local. 5 IN A 10.96.0.10'] },
  { q: 'dual.ns1.svc.cluster.local', t: 'AAAA', status: 'NOERROR', answer: ['dual.ns1.svc.cluster.local. 5 IN AAAA fd00:10:96::11'] },
  { q: '_http._tcp.web.ns1.svc.cluster.local', t: 'SRV', status: 'NOERROR', answer: ['_http._tcp.web.ns1.svc.cluster.local. 5 IN SRV 0 100 80 web.ns1.svc.cluster.local.'] },
  { q: '10.0.96.10.in-addr.arpa', t: 'PTR', status: 'NOERROR', answer: ['10.0.96.10.in-addr.arpa. 5 IN PTR web.ns1.svc.cluster.local.'] },
  { q: '1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa', t: 'PTR', status: 'NOERROR', answer: ['1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa. 5 IN PTR dual.ns1.svc.cluster.local.'] },
  { q: 'dns-version.cluster.local', t: 'TXT', status: 'NOERROR', answer: ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'] },
  { q: 'db.ns1.svc.cluster.local', t: 'A', status: 'NOERROR', answer: ['db.ns1.svc.cluster.local. 5 IN A 10.244.1.5', 'db.ns1.svc.cluster.local. 5 IN A 10.244.2.6'] },
  { q: 'db-0.db.ns1.svc.cluster.local', t: 'A', status: 'NOERROR', answer: ['db-0.db.ns1.svc.cluster.local. 5 IN A 10.244.1.5'] },
  { q: '_pg._tcp.db.ns1.svc.cluster.local', t: 'SRV', status: 'NOERROR', answer: ['_pg._tcp.db.ns1.svc.cluster.local. 5 IN SRV 0 50 5432 10-244-2-6.db.ns1.svc.cluster.local.', '_pg._tcp.db.ns1.svc.cluster.local. 5 IN SRV 0 50 5432 db-0.db.ns1.svc.cluster.local.'] },
  { q: 'ext.ns1.svc.cluster.local', t: 'CNAME', status: 'NOERROR', answer: ['ext.ns1.svc.cluster.local. 5 IN CNAME example.com.'] },
  { q: '10-1-2-3.ns1.pod.cluster.local', t: 'A', status: 'NOERROR', answer: ['10-1-2-3.ns1.pod.cluster.local. 5 IN A 10.1.2.3'] },
  { q: 'web.ns1.svc.cluster.local', t: 'AAAA', status: 'NOERROR', answer: [], authority: true },
  { q: 'ns1.svc.cluster.local', t: 'A', status: 'NOERROR', answer: [], authority: true },
  { q: 'empty.ns1.svc.cluster.local', t: 'A', status: 'NXDOMAIN', answer: [], authority: true },
  { q: 'nope.ns1.svc.cluster.local', t: 'A', status: 'NXDOMAIN', answer: [], authority: true },
  { q: 'lb.ns2.example.org', t: 'A', status: 'NOERROR', answer: ['lb.ns2.example.org. 5 IN A 192.0.2.7', 'lb.ns2.example.org. 5 IN A 198.51.100.9'] },
];

for (const proto of ['udp', 'tcp'] as const) {
  for (const c of cases) {
    test(`dig ${proto} ${c.q} ${c.t} → ${c.status}`, () => {
      const out = ns.dig([c.q, c.t, ...(proto === 'tcp' ? ['+tcp'] : [])]);
      assert.equal(status(out), c.status, out);
      assert.ok(flagsOf(out).includes('aa'), `aa flag: ${out}`);
      assert.deepEqual(lines(ns.dig([c.q, c.t, '+noall', '+answer', ...(proto === 'tcp' ? ['+tcp'] : [])])), c.answer);
      if (c.authority) {
        const auth = lines(ns.dig([c.q, c.t, '+noall', '+authority']));
        assert.equal(auth.length, 1);
        assert.ok(auth[0]!.startsWith(SOA), auth[0]);
        assert.ok(auth[0]!.endsWith(' 5'), `SOA minimum = TTL: ${auth[0]}`);
      }
    });
  }
}

test('dig: the 100-endpoint headless service is truncated over UDP (as many records as fit, TC) and complete over TCP and with a big EDNS buffer', () => {
  const all = new Set(Array.from({ length: 100 }, (_, k) => `big.ns1.svc.cluster.local. 5 IN A 10.245.${k >> 8}.${(k & 255) + 1}`));
  const partial = (args: string[], limit: number): number => {
    const out = ns.dig(['big.ns1.svc.cluster.local', 'A', '+ignore', ...args]);
    assert.ok(flagsOf(out).includes('tc'), out);
    assert.ok(Number(/MSG SIZE\s+rcvd: (\d+)/.exec(out)?.[1]) <= limit, out);
    const got = lines(ns.dig(['big.ns1.svc.cluster.local', 'A', '+ignore', ...args, '+noall', '+answer']));
    assert.ok(got.length > 0 && got.length < 100, `${got.length} answers`);
    for (const l of got) assert.ok(all.has(l), l);
    return got.length;
  };
  const in512 = partial(['+noedns'], 512);
  const in1232 = partial(['+bufsize=1232'], 1232);
  assert.ok(in1232 > in512, `${in1232} answers in 1232 bytes, ${in512} in 512`);
  const retried = ns.dig(['big.ns1.svc.cluster.local', 'A']);
  assert.match(retried, /Truncated, retrying in TCP mode/);
  assert.equal(lines(ns.dig(['big.ns1.svc.cluster.local', 'A', '+noall', '+answer'])).length, 100);
  const big = ns.dig(['big.ns1.svc.cluster.local', 'A', '+bufsize=4096', '+ignore']);
  assert.ok(!flagsOf(big).includes('tc'), big);
  assert.match(big, /ANSWER: 100,/);
  assert.match(big, /udp: 1232/, 'advertises 1232');
  assert.equal(lines(ns.dig(['_http._tcp.big.ns1.svc.cluster.local', 'SRV', '+tcp', '+noall', '+answer'])).length, 100);
});

/** Sends a marker query and waits until the server logged it, so log slices are exact. */
async function marker(): Promise<number> {
  const name = `marker-${Math.random().toString(36).slice(2, 10)}.ns1.svc.cluster.local`;
  ns.dig([name, 'A']);
  await ns.waitFor((e) => e.event === 'query' && e.name === name);
  return ns.events.findIndex((e) => e.event === 'query' && e.name === name);
}

test('glibc getent walks the search path; NXDOMAIN and NODATA do not stop it', async () => {
  const from = await marker();
  const r = ns.exec(['getent', 'hosts', 'kubernetes.default']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^10\.96\.0\.1\s+kubernetes\.default\.svc\.cluster\.local/m);
  const to = await marker();
  const seq = ns.events.slice(from + 1, to).filter((e) => e.event === 'query').map((e) => `${e.type} ${e.name} ${e.rcode}`);
  assert.deepEqual(seq, [
    'AAAA kubernetes.default.ns1.svc.cluster.local NXDOMAIN',
    'AAAA kubernetes.default.svc.cluster.local NOERROR',
    'AAAA kubernetes.default.cluster.local NXDOMAIN',
    'AAAA kubernetes.default NOERROR',
    'A kubernetes.default.ns1.svc.cluster.local NXDOMAIN',
    'A kubernetes.default.svc.cluster.local NOERROR',
  ]);
  const short = ns.exec(['getent', 'hosts', 'web']);
  assert.match(short.stdout, /^10\.96\.0\.10\s+web\.ns1\.svc\.cluster\.local/m);
});

test('watch: a new Service resolves right after it is added, a deleted one is NXDOMAIN right after', async () => {
  const svc = { metadata: { namespace: 'ns1', name: 'fresh' }, spec: { clusterIP: '10.96.7.7' } };
  assert.equal(status(ns.dig(['fresh.ns1.svc.cluster.local', 'A'])), 'NXDOMAIN');
  await ns.apply('upsertService', svc);
  assert.deepEqual(lines(ns.dig(['fresh.ns1.svc.cluster.local', 'A', '+noall', '+answer'])), ['fresh.ns1.svc.cluster.local. 5 IN A 10.96.7.7']);
  await ns.apply('deleteService', svc);
  assert.equal(status(ns.dig(['fresh.ns1.svc.cluster.local', 'A'])), 'NXDOMAIN');
});

test('forward: names outside the cluster go to the upstream', async () => {
  assert.deepEqual(lines(ns.dig(['www.example.net', 'A', '+noall', '+answer'])), ['www.example.net. 60 IN A 192.0.2.1']);
  await ns.waitFor((e) => e.event === 'upstream' && e.name === 'www.example.net');
  const second = ns.dig(['www.example.net', 'A', '+noall', '+answer']);
  assert.match(second, /192\.0\.2\.1/);
});
