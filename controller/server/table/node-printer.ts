import type { Node } from '../../api/node.js';
import { timeSince } from './human-duration.js';
import { AGE_COLUMN, NAME_COLUMN, column, type Printer } from './types.js';

const ROLE_PREFIX = 'node-role.kubernetes.io/';

/** Roles from `node-role.kubernetes.io/<role>` labels (and the legacy `kubernetes.io/role`), sorted. */
export const nodeRoles = (node: Node): string => {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata?.labels ?? {})) {
    if (key.startsWith(ROLE_PREFIX) && key.length > ROLE_PREFIX.length) roles.add(key.slice(ROLE_PREFIX.length));
    else if (key === 'kubernetes.io/role' && value) roles.add(value);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
};

const address = (node: Node, type: string) => node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';

/** Nodes: NAME STATUS ROLES AGE VERSION, wide INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME. */
export const nodePrinter: Printer<Node> = {
  columns: [
    NAME_COLUMN,
    column('Status', 'Ready, NotReady or Unknown, plus SchedulingDisabled when cordoned.'),
    column('Roles', 'Roles from node-role.kubernetes.io/ labels.'),
    AGE_COLUMN,
    column('Version', 'The version the node agent reports.'),
    column('Internal-IP', 'The first InternalIP address of the node.', { priority: 1 }),
    column('External-IP', 'The first ExternalIP address of the node.', { priority: 1 }),
    column('OS-Image', 'The operating system image the node reports.', { priority: 1 }),
    column('Kernel-Version', 'The kernel version the node reports.', { priority: 1 }),
    column('Container-Runtime', 'The container runtime and version the node reports.', { priority: 1 }),
  ],
  row(node, now) {
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    const status = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
    if (node.spec?.unschedulable) status.push('SchedulingDisabled');
    const info = node.status?.nodeInfo ?? {};
    return {
      cells: [
        node.metadata?.name ?? '',
        status.join(','),
        nodeRoles(node),
        timeSince(node.metadata?.creationTimestamp, now),
        info.kubeletVersion ?? '',
        address(node, 'InternalIP'),
        address(node, 'ExternalIP'),
        info.osImage || '<unknown>',
        info.kernelVersion || '<unknown>',
        info.containerRuntimeVersion || '<unknown>',
      ],
    };
  },
};
