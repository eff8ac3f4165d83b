import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Prometheus metrics of the overlay (`sextant_overlay_*`). */
export function createOverlayMetrics(registry: Registry) {
  const syncs = new Counter({ name: 'sextant_overlay_syncs_total', help: 'Overlay syncs by result', labelNames: ['result'], registers: [registry] });
  const ops = new Counter({ name: 'sextant_overlay_netlink_ops_total', help: 'Neighbour/FDB/route changes applied', registers: [registry] });
  const peers = new Gauge({ name: 'sextant_overlay_peers', help: 'Peers programmed on this node', registers: [registry] });
  const duration = new Histogram({ name: 'sextant_overlay_sync_duration_seconds', help: 'Duration of one overlay sync', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] });
  return {
    onSync(r: { ok: boolean; ops: number; peers: number; ms: number }) {
      syncs.inc({ result: r.ok ? 'ok' : 'error' });
      ops.inc(r.ops);
      peers.set(r.peers);
      duration.observe(r.ms / 1000);
    },
  };
}
