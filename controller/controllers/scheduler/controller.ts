/**
 * Scheduler runner: queues Pods that have no node, picks one with the pure core and binds
 * through the `binding` subresource. Decisions not yet visible in the Pod cache are "assumed"
 * so consecutive pods of one owner still spread. A Pod that fits nowhere gets a FailedScheduling
 * event with the reason and is retried when nodes change (or after a back-off).
 */
import type { Binding, Pod } from '../../api/index.js';
import { KINDS, isApiError } from '../../api/index.js';
import { runController } from '../runtime/controller.js';
import type { ControllerContext, StartedController } from '../runtime/context.js';
import { keyOf, splitKey } from '../runtime/informers.js';
import { controllerUid, schedulePod, type PlacementCounts } from './schedule.js';

export const SCHEDULER_NAME = 'default-scheduler';

const wantsScheduling = (p: Pod) =>
  !p.spec.nodeName && !p.metadata.deletionTimestamp && (p.spec.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

export function startScheduler(ctx: ControllerContext): StartedController {
  const pods = ctx.informers.for(KINDS.Pod);
  const nodes = ctx.informers.for(KINDS.Node);
  const events = ctx.events(SCHEDULER_NAME);
  const total = new Map<string, number>();
  const owned = new Map<string, number>();
  const assumed = new Map<string, { node: string; owner?: string }>();
  const unschedulable = new Map<string, string>();
  const bump = (node: string, owner: string | undefined, d: number) => {
    total.set(node, (total.get(node) ?? 0) + d);
    if (owner) owned.set(`${node}\0${owner}`, (owned.get(`${node}\0${owner}`) ?? 0) + d);
  };
  const counted = (p: Pod) => Boolean(p.spec.nodeName) && !p.metadata.deletionTimestamp;
  const counts: PlacementCounts = { total: (n) => total.get(n) ?? 0, owned: (n, o) => owned.get(`${n}\0${o}`) ?? 0 };

  const runner = runController({
    name: 'scheduler',
    logger: ctx.log,
    ready: () => pods.hasSynced() && nodes.hasSynced(),
    clock: ctx.clock,
    sync: async (key) => {
      const { namespace, name } = splitKey(key);
      const pod = pods.get(namespace, name);
      if (!pod || !wantsScheduling(pod) || assumed.has(key)) {
        unschedulable.delete(key);
        return;
      }
      const r = schedulePod(pod, nodes.list(), counts);
      if (r.node === undefined) {
        if (unschedulable.get(key) !== r.message) events.warning({ ...pod, kind: 'Pod', apiVersion: 'v1' }, 'FailedScheduling', r.message);
        unschedulable.set(key, r.message);
        return { requeueAfterMs: 10_000 };
      }
      unschedulable.delete(key);
      const owner = controllerUid(pod);
      assumed.set(key, { node: r.node, ...(owner ? { owner } : {}) });
      bump(r.node, owner, 1);
      const binding: Binding = {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
        target: { apiVersion: 'v1', kind: 'Node', name: r.node },
      };
      try {
        await ctx.client.create(KINDS.Pod, binding as unknown as Pod, { subresource: 'binding', name });
      } catch (err) {
        assumed.delete(key);
        bump(r.node, owner, -1);
        if (isApiError(err, 'NotFound') || isApiError(err, 'Conflict')) return;
        throw err;
      }
      events.normal({ ...pod, kind: 'Pod', apiVersion: 'v1' }, 'Scheduled', `Successfully assigned ${namespace}/${name} to ${r.node}`);
    },
  });
  const forget = (p: Pod) => {
    const a = assumed.get(keyOf(p));
    if (a) {
      assumed.delete(keyOf(p));
      bump(a.node, a.owner, -1);
    }
  };
  pods.addHandlers({
    onAdd: (p) => {
      if (counted(p)) {
        forget(p);
        bump(p.spec.nodeName!, controllerUid(p), 1);
      }
      if (wantsScheduling(p)) runner.queue.add(keyOf(p));
    },
    onUpdate: (o, p) => {
      if (counted(o)) bump(o.spec.nodeName!, controllerUid(o), -1);
      if (counted(p)) {
        forget(p);
        bump(p.spec.nodeName!, controllerUid(p), 1);
      }
      if (wantsScheduling(p)) runner.queue.add(keyOf(p));
    },
    onDelete: (p) => {
      if (counted(p)) bump(p.spec.nodeName!, controllerUid(p), -1);
      forget(p);
      unschedulable.delete(keyOf(p));
    },
  });
  const retryUnschedulable = () => {
    for (const k of unschedulable.keys()) runner.queue.add(k);
  };
  nodes.addHandlers({ onAdd: retryUnschedulable, onUpdate: retryUnschedulable });
  return { name: runner.name, idle: () => runner.idle(), stop: () => runner.stop() };
}
