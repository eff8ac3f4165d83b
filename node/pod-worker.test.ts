import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, PodStatus } from '../controller/api/index.js';
import { createLogger } from '../daemon/logger.js';
import type { AddResult } from './cni-runtime.js';
import { PodWorker, type PodHost } from './pod-worker.js';
import type { PodRecord } from './pod-state.js';

// A container without `command` never spawns a process (CreateContainerError), so these cases
// exercise the sandbox path alone.
const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'uid-1' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'img' }] } };

function fakeHost(networkReady: () => string | null) {
  const calls: string[] = [];
  const statuses: PodStatus[] = [];
  const namespaces = new Set<string>();
  const host: PodHost = {
    cni: {
      add: async (): Promise<AddResult> => {
        calls.push('cni.add');
        return { ips: ['10.244.1.9/24'], result: {} };
      },
      del: async () => void calls.push('cni.del'),
      cached: () => undefined,
    },
    store: { save: () => undefined, remove: () => undefined, exitStatusPath: (uid, c) => `/nonexistent/${uid}/${c}` },
    networkReady,
    log: createLogger('pod-worker-test', { silent: true }),
    netns: {
      add: async (n) => void (calls.push('netns.add'), namespaces.add(n)),
      del: async (n) => void namespaces.delete(n),
      exists: (n) => namespaces.has(n),
    },
    writePodFiles: () => undefined,
    removePodFiles: () => undefined,
    serviceEnv: () => ({}),
    patchStatus: async (_p, s) => void statuses.push(s),
    confirmDelete: async () => undefined,
    settings: { nodeName: 'n1', nodeIp: '172.29.0.3', clusterDns: [], clusterDomain: 'cluster.local', hostResolvConf: '', podLogDir: '/nonexistent', backoffInitialMs: 10_000, backoffMaxMs: 300_000 },
  };
  return { host, calls, statuses, namespaces };
}

async function until(what: string, f: () => boolean): Promise<void> {
  const end = Date.now() + 5_000;
  while (!f()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('pod worker: waiting for the pod network', () => {
  it('holds a new pod (no CNI ADD) while the network is not ready, then attaches it', async () => {
    let reason: string | null = 'no usable network configuration in /etc/cni/net.d';
    const { host, calls, statuses } = fakeHost(() => reason);
    const w = new PodWorker(pod, host);
    try {
      await w.start();
      await until('a status saying why the pod waits', () => statuses.length > 0);
      const waiting = statuses.at(-1)!.containerStatuses?.[0]?.state?.waiting;
      assert.deepEqual([waiting?.reason, waiting?.message], ['ContainerCreating', 'network not ready: no usable network configuration in /etc/cni/net.d']);
      assert.equal(statuses.at(-1)!.podIP, undefined);
      assert.deepEqual(calls, [], 'nothing attached while the network is not ready');
      reason = null;
      await until('the pod IP in the status', () => statuses.some((s) => s.podIP === '10.244.1.9'));
      assert.deepEqual(calls, ['netns.add', 'cni.add'], 'a new pod: no DEL before its first ADD');
    } finally {
      w.detach();
    }
  });

  it('an adopted pod that already has its IP does not wait for the network', async () => {
    const { host, calls, statuses, namespaces } = fakeHost(() => 'the overlay has not set this node up yet');
    const rec: PodRecord = { uid: 'uid-1', namespace: 'default', name: 'p', netns: '', sandboxId: 'sb', podIp: '10.244.1.7', startTime: '2030-01-01T00:00:00Z', containers: {} };
    const w = new PodWorker(pod, host, rec);
    namespaces.add(w.netns);
    try {
      await w.start();
      await until('a status', () => statuses.length > 0);
      assert.equal(statuses.at(-1)!.podIP, '10.244.1.7');
      assert.deepEqual(calls, []);
      assert.doesNotMatch(JSON.stringify(statuses.at(-1)), /network not ready/);
    } finally {
      w.detach();
    }
  });
});

describe('pod worker: status writes', () => {
  // The API server retries a merge patch that hit a conflict, so of two status patches in flight
  // the one that commits last wins — which can be the older one. A cluster bench saw a pod stay
  // Ready=False after Ready=True: "Running, not ready" was written over "Ready" 56 ms later.
  it('one status write at a time, so the newest status is the one applied last', async () => {
    let reason: string | null = 'the overlay has not set this node up yet';
    const { host } = fakeHost(() => reason);
    const applied: PodStatus[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let first = true;
    host.patchStatus = async (_p, s) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      if (first) {
        first = false;
        await held; // the first write is slow to commit
      }
      applied.push(s);
      inFlight--;
    };
    const w = new PodWorker(pod, host);
    try {
      await w.start();
      await until('the first status write to start', () => !first);
      reason = null;
      await until('the pod IP', () => w.podIp === '10.244.1.9');
      await new Promise((r) => setTimeout(r, 100)); // room for a second write to start early
      release();
      await until('a status with the pod IP applied', () => applied.some((s) => s.podIP === '10.244.1.9'));
      await until('every write done', () => inFlight === 0);
      assert.equal(maxInFlight, 1, 'no two status writes in flight at once');
      assert.equal(applied.at(-1)!.podIP, '10.244.1.9', 'the last status applied is the newest');
    } finally {
      w.detach();
    }
  });
});
