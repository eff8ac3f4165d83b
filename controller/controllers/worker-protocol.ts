/**
 * What `sextant server` and its controller worker thread say to each other (worker-host.ts,
 * worker-main.ts). The API itself crosses on a port of its own (controller/api/port-transport.ts);
 * this is only the worker's lifecycle.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ControllerName } from './flags.js';

/** The controllers' options, as plain data (a worker receives a structured clone). */
export interface WorkerControllerOptions {
  enabled: ControllerName[];
  serviceCIDR: string;
  clusterCIDR: string;
  nodeCIDRMaskSize: number;
  nodeGracePeriodMs: number;
  advertiseAddress: string;
  endpointSliceWorkers?: number;
}

export interface WorkerInit {
  /** Marks a worker started for the controllers (the bundle's entry checks it). */
  role: 'sextant-controllers';
  options: WorkerControllerOptions;
  /** The ApiClient's port (PortTransport); the other end is served by the API server's thread. */
  api: MessagePort;
}

/** Host → worker. */
export type ToWorker = { t: 'stop' };

/** Worker → host. */
export type FromWorker = { t: 'started' } | { t: 'failed'; message: string };

export function isWorkerInit(v: unknown): v is WorkerInit {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return o.role === 'sextant-controllers' && typeof o.options === 'object' && o.options !== null && typeof o.api === 'object' && o.api !== null;
}
