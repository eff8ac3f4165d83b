import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AggregatorRegistry, Registry } from 'prom-client';
import { metricsPlugin } from './handler.js';
import type { Observation } from '../../chain.js';

const obs = (o: Partial<Observation>): Observation => ({
  qname: 'a.example', qtype: 1, proto: 'udp', family: 4, remoteAddress: '127.0.0.1', remotePort: 1, rcode: 0,
  requestSize: 40, responseSize: 120, durationSeconds: 0.0003, fast: true, answerCount: 1, ...o,
});

test('metrics: CoreDNS names and labels, counted per observation, exported on scrape', async () => {
  const reg = new Registry();
  const p = metricsPlugin(reg, 'dns://127.0.0.1:53');
  p.observe!(obs({}));
  p.observe!(obs({ qtype: 28, rcode: 3, durationSeconds: 0.003 }));
  p.observe!(obs({ qtype: 65, proto: 'tcp', family: 6, responseSize: 600 }));
  const text = await reg.metrics();
  const want = [
    'coredns_dns_requests_total{server="dns://127.0.0.1:53",zone=".",view="",proto="udp",family="1",type="A"} 1',
    'coredns_dns_requests_total{server="dns://127.0.0.1:53",zone=".",view="",proto="udp",family="1",type="AAAA"} 1',
    'coredns_dns_requests_total{server="dns://127.0.0.1:53",zone=".",view="",proto="tcp",family="2",type="other"} 1',
    'coredns_dns_responses_total{server="dns://127.0.0.1:53",zone=".",view="",plugin="",rcode="NOERROR"} 2',
    'coredns_dns_responses_total{server="dns://127.0.0.1:53",zone=".",view="",plugin="",rcode="NXDOMAIN"} 1',
    'coredns_dns_request_duration_seconds_bucket{server="dns://127.0.0.1:53",zone=".",view="",type="AAAA",le="0.00025"} 0',
    'coredns_dns_request_duration_seconds_bucket{server="dns://127.0.0.1:53",zone=".",view="",type="AAAA",le="0.004"} 1',
    'coredns_dns_request_duration_seconds_count{server="dns://127.0.0.1:53",zone=".",view="",type="A"} 1',
    'coredns_dns_response_size_bytes_bucket{server="dns://127.0.0.1:53",zone=".",view="",proto="tcp",le="511"} 0',
    'coredns_dns_response_size_bytes_bucket{server="dns://127.0.0.1:53",zone=".",view="",proto="tcp",le="1023"} 1',
    'coredns_dns_response_size_bytes_bucket{server="dns://127.0.0.1:53",zone=".",view="",proto="udp",le="+Inf"} 2',
    '# TYPE coredns_dns_requests_total counter',
    '# TYPE coredns_dns_request_duration_seconds histogram',
  ];
  const have = new Set(text.split('\n'));
  for (const w of want) assert.ok(have.has(w), `${w}\n--- in ---\n${text}`);
  assert.doesNotMatch(text, /type="SRV"/, 'combinations never seen are not exported');
});

test("metrics: two workers' samples sum in the cluster aggregator", async () => {
  const regs = [new Registry(), new Registry()];
  regs.forEach((r, i) => {
    const p = metricsPlugin(r);
    for (let k = 0; k <= i; k++) p.observe!(obs({}));
  });
  const merged = AggregatorRegistry.aggregate(await Promise.all(regs.map((r) => r.getMetricsAsJSON())));
  const text = await merged.metrics();
  assert.match(text, /^coredns_dns_requests_total\{[^}]*type="A"\} 3$/m);
  assert.match(text, /^coredns_dns_request_duration_seconds_count\{[^}]*type="A"\} 3$/m);
});
