/**
 * Node IPAM runner: once the Node informer has listed every node, occupy the podCIDRs they
 * carry (so a restart never reissues one), then give each node without one a free subnet by a
 * merge patch of spec.podCIDR/podCIDRs; release a deleted node's subnet.
 */
import type { Node } from '../../api/index.js';
import { KINDS, isApiError } from '../../api/index.js';
import { runController } from '../runtime/controller.js';
import type { ControllerContext, StartedController } from '../runtime/context.js';
import { NodeCidrAllocator } from './node-cidr-allocator.js';

export interface NodeIpamOptions {
  clusterCIDR?: string;
  nodeCIDRMaskSize?: number;
}

export function startNodeIpamController(ctx: ControllerContext, opts: NodeIpamOptions = {}): StartedController {
  const alloc = new NodeCidrAllocator(opts.clusterCIDR, opts.nodeCIDRMaskSize);
  const nodes = ctx.informers.for(KINDS.Node);
  const events = ctx.events('node-ipam-controller');
  let ready = false;
  const runner = runController({
    name: 'node-ipam',
    logger: ctx.log,
    clock: ctx.clock,
    sync: async (name) => {
      if (!ready) return { requeueAfterMs: 200 };
      const node = nodes.get(undefined, name);
      if (!node) {
        alloc.release(name);
        return;
      }
      if (node.spec?.podCIDR) {
        const c = alloc.occupy(node);
        if (c) events.warning(node, 'CIDRAssignmentFailed', `podCIDR ${c.cidr} is already assigned to node ${c.holder}`);
        return;
      }
      let cidr: string;
      try {
        cidr = alloc.allocate(name);
      } catch (err) {
        events.warning(node, 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable (${(err as Error).message})`);
        return { requeueAfterMs: 30_000 };
      }
      try {
        await ctx.client.patch<Node>(KINDS.Node, undefined, name, { spec: { podCIDR: cidr, podCIDRs: [cidr] } }, 'merge');
      } catch (err) {
        alloc.release(name);
        if (isApiError(err, 'NotFound')) return;
        throw err;
      }
    },
  });
  nodes.addHandlers({
    onAdd: (n) => runner.queue.add(n.metadata.name ?? ''),
    onUpdate: (o, n) => {
      if (o.spec?.podCIDR !== n.spec?.podCIDR) runner.queue.add(n.metadata.name ?? '');
    },
    onDelete: (n) => runner.queue.add(n.metadata.name ?? ''),
    onSynced: () => {
      if (ready) return;
      const conflicts = alloc.rebuild(nodes.list());
      for (const c of conflicts) ctx.log.warn(`node-ipam: node ${c.node} carries ${c.cidr}, already held by ${c.holder}`);
      ready = true;
    },
  });
  return { name: runner.name, idle: () => runner.idle(), stop: () => runner.stop() };
}
