import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../controller/api/index.js';
import { buildPodStatus, podPhase, type ContainerView, type PodView } from './pod-status.js';

const NOW = '2030-01-01T00:00:10Z';
const EARLIER = '2030-01-01T00:00:00Z';
const running = (name: string, ready: boolean, restartCount = 0): ContainerView => ({ name, image: 'img', containerId: `id-${name}`, restartCount, ready, started: true, state: { kind: 'running', startedAt: EARLIER } });
const waiting = (name: string, restartCount = 0): ContainerView => ({ name, image: 'img', containerId: `id-${name}`, restartCount, ready: false, started: false, state: { kind: 'waiting', reason: 'ContainerCreating' } });
const ended = (name: string, exitCode: number): ContainerView => ({ name, image: 'img', containerId: `id-${name}`, restartCount: 0, ready: false, started: false, state: { kind: 'terminated', exitCode, reason: exitCode ? 'Error' : 'Completed', finishedAt: EARLIER } });
const view = (containers: ContainerView[], restartPolicy = 'Always', extra: Partial<PodView> = {}): PodView => ({ hostIp: '172.29.0.3', podIp: '10.244.1.7', startTime: EARLIER, containers, restartPolicy, ...extra });
const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'a' }, { name: 'b' }] } };

describe('pod phase', () => {
  const cases: [string, PodView, string][] = [
    ['a container not started yet: Pending', view([running('a', true), waiting('b')]), 'Pending'],
    ['sandbox failed: Pending', view([waiting('a')], 'Always', { sandboxError: 'CNI ADD failed' }), 'Pending'],
    ['all running: Running', view([running('a', false), running('b', true)]), 'Running'],
    ['all ended with 0, Never: Succeeded', view([ended('a', 0), ended('b', 0)], 'Never'), 'Succeeded'],
    ['all ended with 0, OnFailure: Succeeded', view([ended('a', 0)], 'OnFailure'), 'Succeeded'],
    ['one failed, Never: Failed', view([ended('a', 0), ended('b', 2)], 'Never'), 'Failed'],
    ['one failed, OnFailure: it restarts, Running', view([ended('a', 1)], 'OnFailure'), 'Running'],
    ['ended, Always: restarts, Running', view([ended('a', 0)], 'Always'), 'Running'],
    ['waiting after a restart (back-off) is Running', view([waiting('a', 2)]), 'Running'],
  ];
  for (const [name, v, want] of cases) it(name, () => assert.equal(podPhase(v), want));
});

describe('pod status', () => {
  const cond = (s: ReturnType<typeof buildPodStatus>, type: string) => s.conditions?.find((c) => c.type === type);

  it('Ready only when every container is ready and the pod runs', () => {
    const cases: [string, ContainerView[], string][] = [
      ['all ready', [running('a', true), running('b', true)], 'True'],
      ['one not ready', [running('a', true), running('b', false)], 'False'],
      ['one still waiting', [running('a', true), waiting('b')], 'False'],
    ];
    for (const [name, cs, want] of cases) {
      const s = buildPodStatus(pod, view(cs), NOW);
      assert.equal(cond(s, 'Ready')?.status, want, name);
      assert.equal(cond(s, 'ContainersReady')?.status, want, name);
      if (want === 'False') assert.equal(cond(s, 'Ready')?.reason, 'ContainersNotReady', name);
    }
  });

  it('addresses, container statuses and restart counts', () => {
    const b: ContainerView = { ...running('b', true, 3), lastTerminated: { exitCode: 137, reason: 'Error', startedAt: EARLIER, finishedAt: EARLIER } };
    const s = buildPodStatus(pod, view([running('a', true), b]), NOW);
    assert.equal(s.phase, 'Running');
    assert.equal(s.podIP, '10.244.1.7');
    assert.deepEqual(s.podIPs, [{ ip: '10.244.1.7' }]);
    assert.equal(s.hostIP, '172.29.0.3');
    assert.deepEqual(
      s.containerStatuses?.map((c) => [c.name, c.ready, c.restartCount, Object.keys(c.state ?? {})[0], c.lastState?.terminated?.exitCode, c.containerID]),
      [
        ['a', true, 0, 'running', undefined, 'sextant://id-a'],
        ['b', true, 3, 'running', 137, 'sextant://id-b'],
      ],
    );
  });

  it('no pod IP yet: no podIP fields, PodReadyToStartContainers False', () => {
    const s = buildPodStatus(pod, view([waiting('a')], 'Always', { podIp: undefined }), NOW);
    assert.equal(s.podIP, undefined);
    assert.equal(cond(s, 'PodReadyToStartContainers')?.status, 'False');
  });

  it('a completed pod is not Ready with reason PodCompleted', () => {
    const s = buildPodStatus(pod, view([ended('a', 0)], 'Never'), NOW);
    assert.equal(s.phase, 'Succeeded');
    assert.equal(cond(s, 'Ready')?.reason, 'PodCompleted');
  });

  it('lastTransitionTime moves only when a condition changes', () => {
    const first = buildPodStatus(pod, view([running('a', false)]), EARLIER);
    const same = buildPodStatus({ ...pod, status: first }, view([running('a', false)]), NOW);
    assert.equal(cond(same, 'Ready')?.lastTransitionTime, EARLIER);
    const flipped = buildPodStatus({ ...pod, status: first }, view([running('a', true)]), NOW);
    assert.equal(cond(flipped, 'Ready')?.lastTransitionTime, NOW);
    assert.equal(cond(flipped, 'PodScheduled')?.lastTransitionTime, EARLIER);
  });
});
