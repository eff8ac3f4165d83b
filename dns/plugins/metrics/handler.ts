/**
 * metrics: CoreDNS-compatible request metrics (`coredns_dns_*`), so the usual CoreDNS dashboards
 * and alerts work unchanged. Counts every answer, including those from the packet cache. Each
 * query costs a few typed-array increments (see lazy-metrics.ts); samples are built on scrape.
 */
import type { Registry } from 'prom-client';
import type { Observation, Plugin } from '../../chain.js';
import { TypeCode, rcodeName } from '../../message.js';
import { LazyCounter, LazyHistogram, type Dimension } from './lazy-metrics.js';

/** The query types CoreDNS labels by name; every other type is counted as `other`. */
const TYPES = ['A', 'AAAA', 'CNAME', 'PTR', 'SRV', 'TXT', 'SOA', 'NS', 'MX', 'HINFO', 'ANY', 'AXFR', 'IXFR', 'other'] as const;
const typeIndex = new Uint8Array(65536).fill(TYPES.length - 1);
TYPES.forEach((t, i) => {
  const code = TypeCode[t];
  if (code !== undefined) typeIndex[code] = i;
});
const RCODES = [...Array.from({ length: 16 }, (_, i) => rcodeName(i)), 'other'];

const DURATION_BOUNDS = [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];
const SIZE_BOUNDS = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16000, 32000, 48000, 64000];

const proto: Dimension = { label: 'proto', values: ['udp', 'tcp'] };
/** CoreDNS's family label: 1 for IPv4, 2 for IPv6. */
const family: Dimension = { label: 'family', values: ['1', '2'] };
const type: Dimension = { label: 'type', values: TYPES };
const rcode: Dimension = { label: 'rcode', values: RCODES };

export function metricsPlugin(registry: Registry, server = 'dns://:53'): Plugin {
  const fixed = { server, zone: '.', view: '' };
  const requests = new LazyCounter('coredns_dns_requests_total', 'Counter of DNS requests made per zone, protocol and family.', fixed, [proto, family, type]).register(registry);
  const responses = new LazyCounter('coredns_dns_responses_total', 'Counter of response status codes.', { ...fixed, plugin: '' }, [rcode]).register(registry);
  const duration = new LazyHistogram('coredns_dns_request_duration_seconds', 'Histogram of the time (in seconds) each request took.', fixed, [type], DURATION_BOUNDS).register(registry);
  const reqSize = new LazyHistogram('coredns_dns_request_size_bytes', 'Size of the EDNS0 UDP buffer in bytes (64K for TCP).', fixed, [proto], SIZE_BOUNDS).register(registry);
  const respSize = new LazyHistogram('coredns_dns_response_size_bytes', 'Size of the returned response in bytes.', fixed, [proto], SIZE_BOUNDS).register(registry);
  return {
    name: 'metrics',
    observe(o: Observation) {
      const t = typeIndex[o.qtype & 0xffff]!;
      const p = o.proto === 'udp' ? 0 : 1;
      requests.counts[(p * 2 + (o.family === 6 ? 1 : 0)) * TYPES.length + t]!++;
      responses.counts[o.rcode < 16 ? o.rcode : 16]!++;
      duration.observe(t, o.durationSeconds);
      reqSize.observe(p, o.requestSize);
      respSize.observe(p, o.responseSize);
    },
  };
}
