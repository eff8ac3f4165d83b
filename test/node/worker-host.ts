/**
 * A pod worker's host for tests that run real containers without an API server: real network
 * namespaces (`ip netns`), the real state store and log files in a test directory, real
 * processes; the CNI attachment is replaced by a fixed address (these tests are about processes,
 * not the network) and status writes are collected per pod name.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { PodStatus } from '../../controller/api/index.js';
import { createLogger } from '../../daemon/logger.js';
import { PodStateStore } from '../../node/pod-state.js';
import type { PodHost } from '../../node/pod-worker.js';

export interface WorkerHost {
  host: PodHost;
  store: PodStateStore;
  /** Every status the workers wrote, by pod name, oldest first. */
  statuses: Map<string, PodStatus[]>;
}

export function workerHost(stateDir: string, logDir: string): WorkerHost {
  const store = new PodStateStore(stateDir);
  const statuses = new Map<string, PodStatus[]>();
  const host: PodHost = {
    cni: { add: async () => ({ ips: ['10.99.0.2/24'], result: {} }), del: async () => undefined, cached: () => undefined },
    store,
    log: createLogger('worker-host', { silent: true }),
    netns: {
      add: async (n) => void execFileSync('ip', ['netns', 'add', n]),
      del: async (n) => {
        if (existsSync(`/run/netns/${n}`)) execFileSync('ip', ['netns', 'del', n]);
      },
      exists: (n) => existsSync(`/run/netns/${n}`),
    },
    writePodFiles: () => undefined,
    removePodFiles: () => undefined,
    serviceEnv: () => ({}),
    patchStatus: async (pod, s) => {
      const name = pod.metadata.name ?? '';
      statuses.set(name, [...(statuses.get(name) ?? []), s]);
    },
    confirmDelete: async () => undefined,
    settings: { nodeName: 'n1', nodeIp: '10.99.0.1', clusterDns: [], clusterDomain: 'cluster.local', hostResolvConf: '', podLogDir: logDir, backoffInitialMs: 200, backoffMaxMs: 1000 },
  };
  return { host, store, statuses };
}
