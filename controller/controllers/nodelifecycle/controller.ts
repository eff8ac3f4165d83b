/**
 * Node lifecycle runner: a node not heard from within the grace period (default 40 s) gets
 * Ready=Unknown and the `node.kubernetes.io/unreachable:NoSchedule` taint, and the pods on it are
 * marked not Ready so the EndpointSlice controller takes them out of service. When the node
 * reports Ready again the taint is removed (the node agent resets its own conditions).
 */
import type { Lease, Node, Pod } from '../../api/index.js';
import { KINDS, isApiError } from '../../api/index.js';
import { runController } from '../runtime/controller.js';
import type { ControllerContext, StartedController } from '../runtime/context.js';
import { nodeHealth, UNREACHABLE_TAINT, unknownConditions } from './health.js';

export const DEFAULT_NODE_GRACE_MS = 40_000;

export function startNodeLifecycleController(ctx: ControllerContext, opts: { gracePeriodMs?: number } = {}): StartedController {
  const grace = opts.gracePeriodMs ?? DEFAULT_NODE_GRACE_MS;
  const nodes = ctx.informers.for(KINDS.Node);
  const leases = ctx.informers.for(KINDS.Lease);
  const pods = ctx.informers.for(KINDS.Pod);
  const events = ctx.events('node-controller');
  const firstSeen = new Map<string, number>();
  const iso = () => new Date(ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');

  const runner = runController({
    name: 'node-lifecycle',
    logger: ctx.log,
    ready: () => nodes.hasSynced() && leases.hasSynced() && pods.hasSynced(),
    clock: ctx.clock,
    sync: async (name) => {
      const node = nodes.get(undefined, name);
      if (!node) {
        firstSeen.delete(name);
        return;
      }
      if (!firstSeen.has(name)) firstSeen.set(name, ctx.clock.now());
      const lease = leases.get('kube-node-lease', name);
      const h = nodeHealth(node, lease, firstSeen.get(name)!, ctx.clock.now(), grace);
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      const tainted = node.spec?.taints?.some((t) => t.key === UNREACHABLE_TAINT) ?? false;
      if (h.markUnknown) {
        await ctx.client.updateStatus<Node>(KINDS.Node, { ...node, status: { ...node.status, conditions: unknownConditions(node, iso()) } });
        events.normal({ ...node, kind: 'Node', apiVersion: 'v1' }, 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        for (const p of pods.list()) {
          if (p.spec.nodeName !== name) continue;
          const conds = (p.status?.conditions ?? []).map((c) => (c.type === 'Ready' && c.status !== 'False' ? { ...c, status: 'False', lastTransitionTime: iso() } : c));
          if (JSON.stringify(conds) === JSON.stringify(p.status?.conditions ?? [])) continue;
          await ctx.client.updateStatus<Pod>(KINDS.Pod, { ...p, status: { ...p.status, conditions: conds } }).catch((err: unknown) => {
            if (!isApiError(err, 'NotFound') && !isApiError(err, 'Conflict')) throw err;
          });
        }
      }
      const unreachable = h.markUnknown || ready?.status === 'Unknown';
      if (unreachable && !tainted) {
        const taints = [...(node.spec?.taints ?? []), { key: UNREACHABLE_TAINT, effect: 'NoSchedule', timeAdded: iso() }];
        await ctx.client.patch(KINDS.Node, undefined, name, { spec: { taints } }, 'merge');
      } else if (!unreachable && tainted) {
        const taints = (node.spec?.taints ?? []).filter((t) => t.key !== UNREACHABLE_TAINT);
        await ctx.client.patch(KINDS.Node, undefined, name, { spec: { taints: taints.length ? taints : null } }, 'merge');
      }
      if (h.recheckInMs !== undefined) return { requeueAfterMs: h.recheckInMs + 10 };
    },
  });
  nodes.addHandlers({
    onAdd: (n) => runner.queue.add(n.metadata.name ?? ''),
    onUpdate: (_o, n) => runner.queue.add(n.metadata.name ?? ''),
    onDelete: (n) => runner.queue.add(n.metadata.name ?? ''),
  });
  const leaseChanged = (l: Lease) => {
    if (l.metadata.namespace === 'kube-node-lease') runner.queue.add(l.metadata.name ?? '');
  };
  leases.addHandlers({ onAdd: leaseChanged, onUpdate: (_o, l) => leaseChanged(l) });
  return { name: runner.name, idle: () => runner.idle(), stop: () => runner.stop() };
}
