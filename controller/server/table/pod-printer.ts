import type { Container, ContainerStatus, Pod } from '../../api/pod.js';
import { timeSince } from './human-duration.js';
import { AGE_COLUMN, NAME_COLUMN, column, type Printer, type TableRowCondition } from './types.js';

/**
 * Pods: NAME READY STATUS RESTARTS AGE, wide IP NODE NOMINATED NODE READINESS GATES. STATUS is
 * derived as kubectl does: the phase (or status.reason), overridden by the first failing init
 * container (`Init:0/2`, `Init:CrashLoopBackOff`), then by the app containers' waiting or
 * terminated reasons (`ContainerCreating`, `CrashLoopBackOff`, `Completed`, `ExitCode:1`), and by
 * `Terminating` once deletionTimestamp is set on a pod that has not finished.
 */
export const podPrinter: Printer<Pod> = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'Ready containers out of all containers (sidecars included).'),
    column('Status', 'Aggregate state of the pod as kubectl summarises it.'),
    column('Restarts', 'Container restarts, with the time since the latest one.'),
    AGE_COLUMN,
    column('IP', 'The primary pod IP address.', { priority: 1 }),
    column('Node', 'The node the pod is bound to.', { priority: 1 }),
    column('Nominated Node', 'The node the scheduler nominated while preempting.', { priority: 1 }),
    column('Readiness Gates', 'Readiness gates that are True, out of all gates.', { priority: 1 }),
  ],
  row(pod, now) {
    const spec = pod.spec ?? { containers: [] };
    const status = pod.status ?? {};
    const conditions = status.conditions ?? [];
    const isSidecar = (c: Container | undefined) => c?.restartPolicy === 'Always';
    const initContainers = new Map((spec.initContainers ?? []).map((c) => [c.name, c]));

    const total = (spec.containers ?? []).length + (spec.initContainers ?? []).filter(isSidecar).length;
    let ready = 0;
    let restarts = 0;
    let lastRestart = 0;
    let sidecarRestarts = 0;
    let lastSidecarRestart = 0;
    let reason = status.reason || status.phase || '';
    if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

    const finishedAt = (s: ContainerStatus) => {
      const t = s.lastState?.terminated?.finishedAt;
      return t ? Date.parse(t) || 0 : 0;
    };

    let initializing = false;
    const initStatuses = status.initContainerStatuses ?? [];
    for (const [i, s] of initStatuses.entries()) {
      restarts += s.restartCount ?? 0;
      lastRestart = Math.max(lastRestart, finishedAt(s));
      const sidecar = isSidecar(initContainers.get(s.name));
      if (sidecar) {
        sidecarRestarts += s.restartCount ?? 0;
        lastSidecarRestart = Math.max(lastSidecarRestart, finishedAt(s));
      }
      const terminated = s.state?.terminated;
      const waiting = s.state?.waiting;
      if (terminated && terminated.exitCode === 0) continue;
      if (sidecar && s.started) {
        if (s.ready) ready++;
        continue;
      }
      if (terminated) {
        reason = terminated.reason
          ? `Init:${terminated.reason}`
          : terminated.signal
            ? `Init:Signal:${terminated.signal}`
            : `Init:ExitCode:${terminated.exitCode}`;
      } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
        reason = `Init:${waiting.reason}`;
      } else {
        reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
      }
      initializing = true;
      break;
    }

    if (!initializing || conditions.some((c) => c.type === 'Initialized' && c.status === 'True')) {
      restarts = sidecarRestarts;
      lastRestart = lastSidecarRestart;
      let hasRunning = false;
      const statuses = status.containerStatuses ?? [];
      for (let i = statuses.length - 1; i >= 0; i--) {
        const s = statuses[i] as ContainerStatus;
        restarts += s.restartCount ?? 0;
        lastRestart = Math.max(lastRestart, finishedAt(s));
        const waiting = s.state?.waiting;
        const terminated = s.state?.terminated;
        if (waiting?.reason) reason = waiting.reason;
        else if (terminated?.reason) reason = terminated.reason;
        else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
        else if (s.ready && s.state?.running) {
          hasRunning = true;
          ready++;
        }
      }
      if (reason === 'Completed' && hasRunning) {
        reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
      }
    }

    const deleting = Boolean(pod.metadata?.deletionTimestamp);
    if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
    else if (deleting && status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';

    const restartsCell = restarts !== 0 && lastRestart > 0 ? `${restarts} (${timeSince(new Date(lastRestart).toISOString(), now)} ago)` : String(restarts);

    const gates = spec.readinessGates ?? [];
    const trueGates = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;

    const rowConditions: TableRowCondition[] | undefined =
      status.phase === 'Succeeded'
        ? [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]
        : status.phase === 'Failed'
          ? [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]
          : undefined;

    const cells = [
      pod.metadata?.name ?? '',
      `${ready}/${total}`,
      reason,
      restartsCell,
      timeSince(pod.metadata?.creationTimestamp, now),
      status.podIPs?.[0]?.ip || status.podIP || '<none>',
      spec.nodeName || '<none>',
      status.nominatedNodeName || '<none>',
      gates.length === 0 ? '<none>' : `${trueGates}/${gates.length}`,
    ];
    return rowConditions ? { cells, conditions: rowConditions } : { cells };
  },
};
