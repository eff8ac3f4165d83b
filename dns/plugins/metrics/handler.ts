/**
 * metrics: CoreDNS-compatible request metrics (`coredns_dns_*`), so the usual CoreDNS dashboards
 * and alerts work unchanged. Counts every answer, including those from the packet cache.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Plugin } from '../../chain.js';
import { rcodeName, typeName } from '../../message.js';

const TYPES = new Set(['A', 'AAAA', 'CNAME', 'PTR', 'SRV', 'TXT', 'SOA', 'NS', 'MX', 'HINFO', 'ANY', 'AXFR', 'IXFR']);

export function metricsPlugin(registry: Registry, server = 'dns://:53'): Plugin {
  const registers = [registry];
  const sizeBuckets = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16000, 32000, 48000, 64000];
  const requests = new Counter({ name: 'coredns_dns_requests_total', help: 'Counter of DNS requests made per zone, protocol and family.', labelNames: ['server', 'zone', 'view', 'proto', 'family', 'type'], registers });
  const responses = new Counter({ name: 'coredns_dns_responses_total', help: 'Counter of response status codes.', labelNames: ['server', 'zone', 'view', 'rcode', 'plugin'], registers });
  const duration = new Histogram({ name: 'coredns_dns_request_duration_seconds', help: 'Histogram of the time each request took.', labelNames: ['server', 'zone', 'view', 'type'], buckets: [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192], registers });
  const reqSize = new Histogram({ name: 'coredns_dns_request_size_bytes', help: 'Size of the EDNS0 UDP buffer in bytes (64K for TCP).', labelNames: ['server', 'zone', 'view', 'proto'], buckets: sizeBuckets, registers });
  const respSize = new Histogram({ name: 'coredns_dns_response_size_bytes', help: 'Size of the returned response in bytes.', labelNames: ['server', 'zone', 'view', 'proto'], buckets: sizeBuckets, registers });
  return {
    name: 'metrics',
    observe(o) {
      const t = typeName(o.qtype);
      const type = TYPES.has(t) ? t : 'other';
      requests.inc({ server, zone: '.', view: '', proto: o.proto, family: String(o.family), type });
      responses.inc({ server, zone: '.', view: '', rcode: rcodeName(o.rcode), plugin: '' });
      duration.observe({ server, zone: '.', view: '', type }, o.durationSeconds);
      reqSize.observe({ server, zone: '.', view: '', proto: o.proto }, o.requestSize);
      respSize.observe({ server, zone: '.', view: '', proto: o.proto }, o.responseSize);
    },
  };
}
