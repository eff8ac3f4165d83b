import type { Container } from '../../api/pod.js';
import type { Deployment } from '../../api/deployment.js';
import type { ReplicaSet } from '../../api/replica-set.js';
import { timeSince } from './human-duration.js';
import { formatSelector } from './label-format.js';
import { AGE_COLUMN, NAME_COLUMN, column, type Printer } from './types.js';

const containerNames = (cs: readonly Container[] | undefined) => (cs ?? []).map((c) => c.name).join(',');
const containerImages = (cs: readonly Container[] | undefined) => (cs ?? []).map((c) => c.image ?? '').join(',');

const wideColumns = [
  column('Containers', 'Names of the containers in the pod template.', { priority: 1 }),
  column('Images', 'Images of the containers in the pod template.', { priority: 1 }),
  column('Selector', 'Label selector of the pods this object manages.', { priority: 1 }),
];

/** Deployments: NAME READY UP-TO-DATE AVAILABLE AGE, wide CONTAINERS IMAGES SELECTOR. */
export const deploymentPrinter: Printer<Deployment> = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'Ready pods out of the desired replicas.'),
    column('Up-to-date', 'Pods running the latest pod template.'),
    column('Available', 'Pods available (ready for at least minReadySeconds).'),
    AGE_COLUMN,
    ...wideColumns,
  ],
  row(d, now) {
    const containers = d.spec?.template?.spec?.containers;
    return {
      cells: [
        d.metadata?.name ?? '',
        `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
        d.status?.updatedReplicas ?? 0,
        d.status?.availableReplicas ?? 0,
        timeSince(d.metadata?.creationTimestamp, now),
        containerNames(containers),
        containerImages(containers),
        formatSelector(d.spec?.selector),
      ],
    };
  },
};

/** ReplicaSets: NAME DESIRED CURRENT READY AGE, wide CONTAINERS IMAGES SELECTOR. */
export const replicaSetPrinter: Printer<ReplicaSet> = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'Replicas asked for in spec.replicas.', { type: 'integer' }),
    column('Current', 'Pods the ReplicaSet currently has.', { type: 'integer' }),
    column('Ready', 'Pods that are ready.', { type: 'integer' }),
    AGE_COLUMN,
    ...wideColumns,
  ],
  row(rs, now) {
    const containers = rs.spec?.template?.spec?.containers;
    return {
      cells: [
        rs.metadata?.name ?? '',
        rs.spec?.replicas ?? 0,
        rs.status?.replicas ?? 0,
        rs.status?.readyReplicas ?? 0,
        timeSince(rs.metadata?.creationTimestamp, now),
        containerNames(containers),
        containerImages(containers),
        formatSelector(rs.spec?.selector),
      ],
    };
  },
};
