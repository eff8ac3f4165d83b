/**
 * `cluster down` removes a pod namespace whose CNI ADD failed (no veth links it to a node host),
 * made by a real pod worker on the agent's state dir of one of the cluster's nodes, and leaves
 * the namespaces of a second cluster beside it — pod and host — alone.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Pod } from '../controller/api/index.js';
import { podNetnsName } from '../node/names.js';
import { PodWorker } from '../node/pod-worker.js';
import { workerHost } from '../test/node/worker-host.js';
import { clusterDown } from './down.js';
import { clusterPaths, planLayout, type ClusterLayout } from './layout.js';
import { createNetns, deleteNetns, netnsExists } from './netns.js';
import { newState, stateFilePath, writeState } from './state.js';

const DIR = mkdtempSync(join(tmpdir(), 'sx-down-'));
const made: string[] = [];
const workers: PodWorker[] = [];

after(async () => {
  for (const w of workers) {
    try {
      w.detach();
    } catch {
      // its state dir went with `down`: nothing left to record
    }
  }
  for (const ns of made) await deleteNetns(ns);
  rmSync(DIR, { recursive: true, force: true });
});

const pod = (node: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p-${randomBytes(2).toString('hex')}`, namespace: 'default', uid: randomUUID() },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'none', command: ['/bin/sleep', '60'] }] },
});

/**
 * A pod worker of `node` whose CNI ADD fails, as the agent of that node runs it (state in the
 * node's agent state dir): the namespace is made, the ADD fails, the worker waits to retry.
 * It makes the namespace once only, so a retry cannot bring back what `down` removed.
 */
async function podWithFailedAdd(layout: ClusterLayout, node: string): Promise<string> {
  const { host, statuses } = workerHost(clusterPaths(layout).nodeAgentState(node), join(DIR, `logs-${layout.name}`));
  host.cni = { ...host.cni, add: async () => Promise.reject(new Error('CNI ADD failed: test plugin')) };
  const add = host.netns.add;
  let adds = 0;
  host.netns = { ...host.netns, add: async (n) => (adds++ === 0 ? add(n) : Promise.reject(new Error('test: one sandbox only'))) };
  const p = pod(node);
  const ns = podNetnsName(p.metadata.uid!);
  made.push(ns);
  const w = new PodWorker(p, host);
  workers.push(w);
  await w.start();
  const deadline = Date.now() + 10_000;
  while (!(statuses.get(p.metadata.name!) ?? []).some((s) => JSON.stringify(s).includes('CNI ADD failed'))) {
    if (Date.now() > deadline) assert.fail('the pod worker did not report the failed CNI ADD');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(netnsExists(ns), `${ns} exists before down`);
  return ns;
}

/** A cluster's state as `up` leaves it, with its host namespaces made (no daemons). */
async function cluster(name: string): Promise<{ layout: ClusterLayout; stateRoot: string; hosts: string[] }> {
  const stateRoot = join(DIR, 'run');
  const layout = planLayout({ name, nodes: 2, stateRoot, dataRoot: join(DIR, 'data') });
  const s = newState(layout, { node: process.execPath, script: '' });
  for (const h of layout.hosts.filter((x) => x.nodeName)) {
    made.push(h.netns);
    await createNetns(h.netns);
    s.namespaces.push(h.netns);
  }
  s.dirs.push(layout.dataDir);
  writeState(stateFilePath(stateRoot, name), s);
  return { layout, stateRoot, hosts: s.namespaces };
}

test('cluster down removes a pod namespace whose CNI ADD failed, and only its own cluster\'s', { timeout: 60_000 }, async () => {
  if (process.getuid?.() !== 0) throw new Error('cluster/down.test needs root (network namespaces)');
  const mine = await cluster(`dn${randomBytes(2).toString('hex')}`);
  const other = await cluster(`do${randomBytes(2).toString('hex')}`);
  const worker = mine.layout.hosts.find((h) => h.role === 'worker')!.nodeName!;
  const orphan = await podWithFailedAdd(mine.layout, worker);
  const othersPod = await podWithFailedAdd(other.layout, other.layout.hosts.find((h) => h.role === 'worker')!.nodeName!);

  const out: string[] = [];
  await clusterDown({ name: mine.layout.name, stateRoot: mine.stateRoot, out: (l) => out.push(l) });

  assert.equal(netnsExists(orphan), false, `the pod namespace ${orphan} is gone (down said: ${out.join(' | ')})`);
  for (const ns of mine.hosts) assert.equal(netnsExists(ns), false, `${ns} is gone`);
  assert.equal(existsSync(mine.layout.dataDir), false, 'data dir removed');
  assert.equal(netnsExists(othersPod), true, 'the other cluster\'s pod namespace is left alone');
  for (const ns of other.hosts) assert.equal(netnsExists(ns), true, `the other cluster's ${ns} is left alone`);
  assert.equal(existsSync(clusterPaths(other.layout).nodeAgentState(other.layout.hosts[1]!.nodeName!)), true, 'the other cluster\'s agent state is left alone');
});
