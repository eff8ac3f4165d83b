/**
 * Prometheus metrics of the API server: requests by verb, resource and code, request latency,
 * open watches, and open long-running requests (watches and exec sessions, as kube-apiserver's
 * apiserver_longrunning_requests), registered on the registry `/metrics` serves.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ServerMetrics {
  requests: Counter<'verb' | 'resource' | 'code'>;
  latency: Histogram<'verb' | 'resource'>;
  watches: Gauge<'resource'>;
  longRunning: Gauge<'verb' | 'resource'>;
}

export function createServerMetrics(registry: Registry): ServerMetrics {
  return {
    requests: new Counter({
      name: 'apiserver_request_total',
      help: 'API requests by verb, resource and HTTP code.',
      labelNames: ['verb', 'resource', 'code'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'API request latency (watches: until the stream is set up).',
      labelNames: ['verb', 'resource'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    watches: new Gauge({
      name: 'apiserver_registered_watchers',
      help: 'Open watch streams by resource.',
      labelNames: ['resource'],
      registers: [registry],
    }),
    longRunning: new Gauge({
      name: 'apiserver_longrunning_requests',
      help: 'Open long-running requests by verb and resource: watch streams (WATCH) and exec sessions (CONNECT pods/exec).',
      labelNames: ['verb', 'resource'],
      registers: [registry],
    }),
  };
}
