/**
 * Exit statuses of adopted containers. A first agent (a separate process, test/node/first-agent.ts)
 * starts the containers and exits, as an agent restart does; a second one adopts them from the
 * state dir — it is not their parent. When an adopted container then exits with 3, its status
 * says so (lastState.terminated.exitCode 3 and a restart for OnFailure; state terminated 3 and
 * phase Failed for Never); a container that exits 3 while no agent runs is reported the same
 * way once adopted; a SIGTERM ending an adopted container is 143.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { ContainerStatus, Pod, PodStatus } from '../../controller/api/index.js';
import { isAlive } from '../../node/container-process.js';
import { podNetnsName } from '../../node/names.js';
import { PodWorker } from '../../node/pod-worker.js';
import { workerHost, type WorkerHost } from './worker-host.js';

const execP = promisify(execFile);
const REPO = new URL('../../', import.meta.url).pathname;
const DIR = mkdtempSync(join(tmpdir(), 'sx-adopt-exit-'));
const tag = randomBytes(3).toString('hex');
const trigger = (name: string) => join(DIR, `trigger-${name}`);

// Waits for its trigger file, consumes it and exits 3 (a restarted copy waits for the next one).
const pod = (name: string, restartPolicy: string, command = ['/bin/sh', '-c', 'while [ ! -e "$TRIGGER" ]; do sleep 0.05; done; rm -f "$TRIGGER"; echo exiting; exit 3']): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `sx-adopt-${tag}-${name}` },
  spec: { nodeName: 'n1', restartPolicy, terminationGracePeriodSeconds: 5, containers: [{ name: 'c', image: 'none', command, env: [{ name: 'TRIGGER', value: trigger(name) }] }] },
});
const pods = [pod('onfailure', 'OnFailure'), pod('never', 'Never'), pod('whiledown', 'OnFailure'), pod('term', 'Never', ['/bin/sh', '-c', 'trap "exit 143" TERM; while :; do sleep 0.05; done'])];

let second: WorkerHost;
const workers: PodWorker[] = [];

async function statusOf(name: string, f: (s: PodStatus, c: ContainerStatus) => boolean, what: string): Promise<ContainerStatus> {
  const until = Date.now() + 30_000;
  for (;;) {
    const s = second.statuses.get(name)?.at(-1);
    const c = s?.containerStatuses?.[0];
    if (s && c && f(s, c)) return c;
    if (Date.now() > until) assert.fail(`${name}: timed out waiting for ${what}; last status ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('adopted containers: exit statuses after an agent restart', { timeout: 120_000 }, () => {
  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('test/node/adopted-exit needs root (network namespaces)');
    const out = await execP(process.execPath, ['--import', 'tsx', join(REPO, 'test/node/first-agent.ts'), join(DIR, 'state'), join(DIR, 'logs'), JSON.stringify(pods)], { cwd: REPO, timeout: 60_000 });
    assert.match(out.stdout, /detached/);
    // one container ends while no agent runs
    writeFileSync(trigger('whiledown'), '');
    second = workerHost(join(DIR, 'state'), join(DIR, 'logs'));
    const records = second.store.loadAll().records;
    assert.equal(records.length, pods.length, 'the first agent recorded every pod');
    for (const r of records) {
      const p = pods.find((x) => x.metadata.uid === r.uid)!;
      if (r.uid.endsWith('whiledown')) {
        const h = { pid: r.containers.c!.pid!, startTicks: r.containers.c!.startTicks! };
        const until = Date.now() + 20_000;
        while (isAlive(h) && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
      }
      const w = new PodWorker(p, second.host, r);
      workers.push(w);
      await w.start();
    }
  });

  after(async () => {
    for (const w of workers) await w.terminate(2, false).catch(() => undefined);
    for (const p of pods) {
      const ns = podNetnsName(p.metadata.uid!);
      if (existsSync(`/run/netns/${ns}`)) execFileSync('ip', ['netns', 'del', ns]);
    }
    rmSync(DIR, { recursive: true, force: true });
  });

  it('an adopted container is reported running, not restarted', async () => {
    for (const name of ['onfailure', 'never', 'term']) {
      const c = await statusOf(name, (_s, c) => c.state?.running !== undefined, 'the running adopted container');
      assert.equal(c.restartCount, 0);
    }
  });

  it('OnFailure: an adopted container exiting 3 has lastState.terminated.exitCode 3 and is restarted', async () => {
    writeFileSync(trigger('onfailure'), '');
    const c = await statusOf('onfailure', (_s, c) => c.restartCount === 1 && c.state?.running !== undefined, 'a restart after the exit');
    assert.equal(c.lastState?.terminated?.exitCode, 3);
    assert.equal(c.lastState?.terminated?.reason, 'Error');
  });

  it('the restarted container (now a child of this agent) exiting 3 again is counted the same way', async () => {
    writeFileSync(trigger('onfailure'), '');
    const c = await statusOf('onfailure', (_s, c) => c.restartCount === 2 && c.state?.running !== undefined, 'the second restart');
    assert.equal(c.lastState?.terminated?.exitCode, 3);
  });

  it('Never: an adopted container exiting 3 is terminated with 3, not restarted, and the pod Failed', async () => {
    writeFileSync(trigger('never'), '');
    const c = await statusOf('never', (_s, c) => c.state?.terminated !== undefined, 'the terminated state');
    assert.equal(c.state?.terminated?.exitCode, 3);
    assert.equal(c.restartCount, 0);
    assert.equal(second.statuses.get('never')!.at(-1)!.phase, 'Failed');
  });

  it('a container that exited 3 while no agent ran is reported with 3 and restarted (OnFailure)', async () => {
    const c = await statusOf('whiledown', (_s, c) => c.restartCount === 1, 'the restart');
    assert.equal(c.lastState?.terminated?.exitCode, 3);
  });

  it('an adopted container ended by SIGTERM (its own handler exits 143) is reported 143', async () => {
    const w = workers.find((x) => x.uid.endsWith('term'))!;
    const rec = second.store.loadAll().records.find((r) => r.uid === w.uid)!;
    process.kill(-rec.containers.c!.pid!, 'SIGTERM');
    const c = await statusOf('term', (_s, c) => c.state?.terminated !== undefined, 'the terminated state');
    assert.equal(c.state?.terminated?.exitCode, 143);
    assert.equal(c.state?.terminated?.reason, 'Error');
  });
});
