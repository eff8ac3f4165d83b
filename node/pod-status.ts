import type { ContainerStatus, Pod, PodStatus } from '../controller/api/index.js';

/** What the agent knows about one container, enough to report its status. */
export interface ContainerView {
  name: string;
  image: string;
  containerId: string;
  restartCount: number;
  ready: boolean;
  started: boolean;
  state:
    | { kind: 'waiting'; reason: string; message?: string }
    | { kind: 'running'; startedAt: string }
    | { kind: 'terminated'; exitCode: number; reason: string; message?: string; startedAt?: string; finishedAt: string };
  lastTerminated?: { exitCode: number; reason: string; startedAt?: string; finishedAt: string };
}

export interface PodView {
  hostIp: string;
  podIp: string | undefined;
  startTime: string;
  /** Set when the sandbox (netns + CNI) could not be made. */
  sandboxError?: string;
  containers: ContainerView[];
  restartPolicy: string;
}

const stateOf = (s: ContainerView['state']): NonNullable<ContainerStatus['state']> =>
  s.kind === 'waiting'
    ? { waiting: { reason: s.reason, ...(s.message ? { message: s.message } : {}) } }
    : s.kind === 'running'
      ? { running: { startedAt: s.startedAt } }
      : { terminated: { exitCode: s.exitCode, reason: s.reason, ...(s.message ? { message: s.message } : {}), ...(s.startedAt ? { startedAt: s.startedAt } : {}), finishedAt: s.finishedAt } };

/**
 * The pod phase from its containers, by the kubelet's rules: Pending until every container has
 * started once; Succeeded when all ended with 0 and none will restart; Failed when all ended and
 * one failed and none will restart; Running otherwise.
 */
export function podPhase(v: PodView): string {
  const cs = v.containers;
  if (v.sandboxError || cs.some((c) => c.state.kind === 'waiting' && c.restartCount === 0 && !c.lastTerminated)) return 'Pending';
  const ended = cs.filter((c) => c.state.kind === 'terminated');
  if (ended.length === cs.length && v.restartPolicy !== 'Always') {
    const failed = ended.some((c) => c.state.kind === 'terminated' && c.state.exitCode !== 0);
    if (!failed) return 'Succeeded';
    if (v.restartPolicy === 'Never') return 'Failed';
  }
  return 'Running';
}

/** The pod's `status` as the kubelet reports it; `lastTransitionTime`s are kept from `prev` when unchanged. */
export function buildPodStatus(pod: Pod, v: PodView, now: string): PodStatus {
  const prev = pod.status?.conditions ?? [];
  const phase = podPhase(v);
  const allReady = v.containers.length > 0 && v.containers.every((c) => c.ready);
  const cond = (type: string, ok: boolean, reason?: string) => {
    const status = ok ? 'True' : 'False';
    const old = prev.find((c) => c.type === type);
    return {
      type,
      status,
      lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : now,
      ...(reason && !ok ? { reason } : {}),
    };
  };
  const notReady = phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : 'ContainersNotReady';
  const statuses: ContainerStatus[] = v.containers.map((c) => ({
    name: c.name,
    state: stateOf(c.state),
    ...(c.lastTerminated ? { lastState: stateOf({ kind: 'terminated', ...c.lastTerminated }) } : { lastState: {} }),
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: '',
    containerID: `sextant://${c.containerId}`,
    started: c.started,
  }));
  return {
    ...(pod.status ?? {}),
    phase,
    conditions: [
      cond('PodReadyToStartContainers', Boolean(v.podIp) && !v.sandboxError),
      cond('Initialized', true),
      cond('Ready', allReady && phase === 'Running', notReady),
      cond('ContainersReady', allReady && phase === 'Running', notReady),
      cond('PodScheduled', true),
    ],
    hostIP: v.hostIp,
    hostIPs: [{ ip: v.hostIp }],
    ...(v.podIp ? { podIP: v.podIp, podIPs: [{ ip: v.podIp }] } : {}),
    startTime: v.startTime,
    containerStatuses: statuses,
    qosClass: 'BestEffort',
    ...(v.sandboxError ? { message: v.sandboxError } : {}),
  };
}
