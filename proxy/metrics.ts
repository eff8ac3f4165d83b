import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const buckets = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The proxy's Prometheus metrics, named as kube-proxy's (`kubeproxy_` prefix) so existing
 * dashboards and alerts read them unchanged.
 */
export function createProxyMetrics(registry: Registry = new Registry()) {
  const r = [registry];
  return {
    registry,
    syncDuration: new Histogram({ name: 'kubeproxy_sync_proxy_rules_duration_seconds', help: 'SyncProxyRules latency in seconds', buckets, registers: r }),
    syncFullDuration: new Histogram({ name: 'kubeproxy_sync_full_proxy_rules_duration_seconds', help: 'Latency of full syncs in seconds', buckets, registers: r }),
    syncPartialDuration: new Histogram({ name: 'kubeproxy_sync_partial_proxy_rules_duration_seconds', help: 'Latency of partial syncs in seconds', buckets, registers: r }),
    programmingDuration: new Histogram({
      name: 'kubeproxy_network_programming_duration_seconds',
      help: 'Time from a Service/EndpointSlice change being seen to the rules being in the kernel',
      buckets,
      registers: r,
    }),
    lastSync: new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', help: 'Time of the last successful sync', registers: r }),
    rulesTotal: new Gauge({ name: 'kubeproxy_sync_proxy_rules_iptables_total', help: 'Rules the proxy owns, per table', labelNames: ['table'], registers: r }),
    rulesLast: new Gauge({ name: 'kubeproxy_sync_proxy_rules_iptables_last', help: 'Rules written by the last sync, per table', labelNames: ['table'], registers: r }),
    restoreFailures: new Counter({ name: 'kubeproxy_sync_proxy_rules_iptables_restore_failures_total', help: 'Failed iptables-restore runs', registers: r }),
    servicesPending: new Gauge({ name: 'kubeproxy_sync_proxy_rules_service_changes_pending', help: 'Pending Service changes', registers: r }),
    endpointsPending: new Gauge({ name: 'kubeproxy_sync_proxy_rules_endpoint_changes_pending', help: 'Pending EndpointSlice changes', registers: r }),
    serviceChanges: new Counter({ name: 'kubeproxy_sync_proxy_rules_service_changes_total', help: 'Service changes seen', registers: r }),
    endpointChanges: new Counter({ name: 'kubeproxy_sync_proxy_rules_endpoint_changes_total', help: 'EndpointSlice changes seen', registers: r }),
    noLocalEndpoints: new Gauge({ name: 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', help: 'Service ports with a Local policy and no local endpoint', registers: r }),
    repairs: new Counter({ name: 'kubeproxy_sync_proxy_rules_canary_repairs_total', help: 'Full syncs forced because our rules were flushed by someone else', registers: r }),
  };
}

export type ProxyMetrics = ReturnType<typeof createProxyMetrics>;
