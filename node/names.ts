import { createHash } from 'node:crypto';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The pod's sandbox ID (the CNI container ID): 64 hex of sha256(pod UID), like a runtime's
 * sandbox ID. Stable, so a restarted agent finds the same attachment, cache entry and netns.
 */
export const sandboxId = (podUid: string): string => hex(`sextant-pod\0${podUid}`);

/** Network namespace of a pod: `sx-pod-` + 10 hex of the sandbox ID. */
export const podNetnsName = (podUid: string): string => `sx-pod-${sandboxId(podUid).slice(0, 10)}`;

export const POD_NETNS_PREFIX = 'sx-pod-';

/** Per-pod log directory, kubelet's layout: `<namespace>_<name>_<uid>`. */
export const podLogDirName = (namespace: string, name: string, uid: string): string => `${namespace}_${name}_${uid}`;
