/**
 * Probes drive a real container (a process in a real namespace, exec probes run inside it):
 * readiness follows its probe both ways and shows in the Ready condition; a failing liveness
 * probe kills the container (SIGTERM → exit 143), which is restarted by restartPolicy Always
 * with its restart count and last termination.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ContainerStatus, Pod, PodStatus } from '../../controller/api/index.js';
import { podNetnsName } from '../../node/names.js';
import { PodWorker } from '../../node/pod-worker.js';
import { workerHost, type WorkerHost } from './worker-host.js';

const DIR = mkdtempSync(join(tmpdir(), 'sx-probes-e2e-'));
const uid = `sx-probes-${randomBytes(3).toString('hex')}`;
const READY = join(DIR, 'ready');
const DEAD = join(DIR, 'dead');
let h: WorkerHost;
let w: PodWorker | undefined;

async function until(what: string, f: (s: PodStatus, c: ContainerStatus) => boolean): Promise<ContainerStatus> {
  const end = Date.now() + 60_000;
  for (;;) {
    const s = h.statuses.get('probed')?.at(-1);
    const c = s?.containerStatuses?.[0];
    if (s && c && f(s, c)) return c;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; last status ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const podReady = (s: PodStatus) => s.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

describe('readiness and liveness probes on a real container', { timeout: 120_000 }, () => {
  after(async () => {
    await w?.terminate(1, false).catch(() => undefined);
    const ns = podNetnsName(uid);
    if (existsSync(`/run/netns/${ns}`)) execFileSync('ip', ['netns', 'del', ns]);
    rmSync(DIR, { recursive: true, force: true });
  });

  it('readiness follows its probe both ways; a failing liveness probe kills the container, which is restarted', async () => {
    if (process.getuid?.() !== 0) throw new Error('test/node/probes-e2e needs root (network namespaces)');
    h = workerHost(join(DIR, 'state'), join(DIR, 'logs'));
    const probe = (command: string[], failureThreshold: number) => ({ exec: { command }, periodSeconds: 1, timeoutSeconds: 10, failureThreshold });
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probed', namespace: 'default', uid },
      spec: {
        nodeName: 'n1',
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 5,
        containers: [{
          name: 'c', image: 'none',
          // a fresh start clears the liveness trigger, so the restarted container lives
          command: ['/bin/sh', '-c', `rm -f ${DEAD}; while :; do sleep 0.1; done`],
          readinessProbe: probe(['test', '-e', READY], 1),
          livenessProbe: probe(['/bin/sh', '-c', `test ! -e ${DEAD}`], 2),
        }],
      },
    };
    w = new PodWorker(pod, h.host);
    await w.start();
    await until('running, not ready', (s, c) => c.state?.running !== undefined && !c.ready && !podReady(s));
    writeFileSync(READY, '');
    await until('ready', (s, c) => c.ready && podReady(s));
    rmSync(READY);
    await until('not ready again', (s, c) => !c.ready && !podReady(s) && c.state?.running !== undefined);
    writeFileSync(READY, '');
    await until('ready again', (s, c) => c.ready && podReady(s));
    writeFileSync(DEAD, '');
    const c = await until('killed by liveness and restarted', (_s, c) => c.restartCount === 1 && c.state?.running !== undefined);
    assert.equal(c.lastState?.terminated?.exitCode, 143, 'ended by the SIGTERM of the liveness kill');
    await until('the restarted container ready', (s, c) => c.ready && podReady(s) && c.restartCount === 1);
  });
});
