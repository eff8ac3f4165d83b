/**
 * Graceful pod deletion as the pod worker does it, with real processes in a real namespace:
 * SIGTERM to every container's process group, up to the grace period, SIGKILL for what is left;
 * only then CNI DEL, the namespace's removal and — last — the pod object's finalisation (its IP
 * is released before the object goes). The state record and the exit-status folder go too.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Pod } from '../../controller/api/index.js';
import { isAlive, type ProcessHandle } from '../../node/container-process.js';
import { podNetnsName } from '../../node/names.js';
import { PodWorker } from '../../node/pod-worker.js';
import { workerHost } from './worker-host.js';

const DIR = mkdtempSync(join(tmpdir(), 'sx-graceful-'));
const uid = `sx-graceful-${randomBytes(3).toString('hex')}`;

describe('graceful pod deletion', { timeout: 60_000 }, () => {
  after(() => {
    const ns = podNetnsName(uid);
    if (existsSync(`/run/netns/${ns}`)) execFileSync('ip', ['netns', 'del', ns]);
    rmSync(DIR, { recursive: true, force: true });
  });

  it('SIGTERM, the grace period, SIGKILL for a container ignoring it; then CNI DEL, namespace removal, and last the pod object', async () => {
    if (process.getuid?.() !== 0) throw new Error('test/node/graceful-stop needs root (network namespaces)');
    const { host, store } = workerHost(join(DIR, 'state'), join(DIR, 'logs'));
    const events: string[] = [];
    const handles: ProcessHandle[] = [];
    const alive = () => handles.filter(isAlive).length;
    const cniDel = host.cni.del;
    host.cni = { ...host.cni, del: async (a) => void (events.push(`cni.del (containers alive: ${alive()})`), await cniDel(a)) };
    const netnsDel = host.netns.del;
    host.netns = { ...host.netns, del: async (n) => void (events.push(`netns.del ${n === podNetnsName(uid) ? 'pod' : n}`), await netnsDel(n)) };
    host.confirmDelete = async () => void events.push(`confirmDelete (netns exists: ${existsSync(`/run/netns/${podNetnsName(uid)}`)})`);
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'g', namespace: 'default', uid },
      spec: {
        nodeName: 'n1',
        terminationGracePeriodSeconds: 30,
        containers: [
          { name: 'stubborn', image: 'none', command: ['/bin/sh', '-c', 'trap "echo got TERM, staying" TERM; echo up; while :; do sleep 0.1; done'] },
          { name: 'polite', image: 'none', command: ['/bin/sh', '-c', 'trap "echo got TERM, leaving; exit 0" TERM; echo up; while :; do sleep 0.1; done'] },
        ],
      },
    };
    const w = new PodWorker(pod, host);
    await w.start();
    const until = Date.now() + 20_000;
    for (;;) {
      const rec = store.loadAll().records.find((r) => r.uid === uid);
      const logsUp = ['stubborn', 'polite'].every((c) => existsSync(w.logFile(c)) && readFileSync(w.logFile(c), 'utf8').includes('up'));
      if (rec && Object.values(rec.containers).every((c) => c.pid) && logsUp) {
        for (const c of Object.values(rec.containers)) handles.push({ pid: c.pid!, startTicks: c.startTicks! });
        break;
      }
      if (Date.now() > until) assert.fail('containers did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(alive(), 2);
    // a deletion with a 1 s grace period, as the API server sets deletionTimestamp/deletionGracePeriodSeconds
    w.update({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 1 } });
    await w.terminate(1, true);
    assert.match(readFileSync(w.logFile('stubborn'), 'utf8'), /got TERM, staying/, 'SIGTERM reached the stubborn container');
    assert.match(readFileSync(w.logFile('polite'), 'utf8'), /got TERM, leaving/, 'SIGTERM reached the polite container');
    assert.equal(alive(), 0, 'the stubborn one was SIGKILLed after the grace period');
    assert.deepEqual(events, ['cni.del (containers alive: 0)', 'netns.del pod', 'confirmDelete (netns exists: false)']);
    assert.equal(store.loadAll().records.some((r) => r.uid === uid), false, 'state record removed');
    assert.equal(existsSync(join(DIR, 'state', 'pods', `${uid}.exit`)), false, 'exit-status folder removed');
  });
});
