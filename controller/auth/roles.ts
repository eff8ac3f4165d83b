/**
 * The static, RBAC-style roles of Sextant: rules of (verbs, API groups, resources, namespaces)
 * and the subjects bound to them. Resources name subresources as RBAC does (`pods/status`); `*`
 * matches anything. Node restriction (only its own Node and Lease, only pods bound to it) is not
 * expressible per rule: the node-restriction admission hook checks the objects.
 */
import type { UserInfo } from '../server/identity.js';

export type RoleName = 'admin' | 'node' | 'proxy' | 'dns' | 'viewer' | 'discovery';

export interface ResourceRule {
  verbs: readonly string[];
  apiGroups: readonly string[];
  resources: readonly string[];
  /** Namespaces the rule applies to; absent = every namespace and cluster scope. */
  namespaces?: readonly string[];
}

export interface NonResourceRule {
  verbs: readonly string[];
  /** Exact paths, or prefixes ending in `*`. */
  paths: readonly string[];
}

export interface Role {
  rules: readonly ResourceRule[];
  nonResource: readonly NonResourceRule[];
}

const READ = ['get', 'list', 'watch'] as const;

/** What every authenticated caller may read: discovery, OpenAPI, version and health. */
const PUBLIC_INFO: NonResourceRule = { verbs: ['get'], paths: ['/api', '/api/*', '/apis', '/apis/*', '/openapi/*', '/version', '/healthz', '/healthz/*', '/livez', '/livez/*', '/readyz', '/readyz/*', '/'] };

export const ROLES: Record<RoleName, Role> = {
  admin: { rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResource: [{ verbs: ['*'], paths: ['*'] }] },
  node: {
    rules: [
      { verbs: READ, apiGroups: [''], resources: ['nodes', 'pods', 'services', 'endpoints', 'namespaces'] },
      { verbs: READ, apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'] },
      { verbs: ['create', 'update', 'patch'], apiGroups: [''], resources: ['nodes', 'nodes/status'] },
      { verbs: ['get', 'create', 'update', 'patch', 'delete'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], namespaces: ['kube-node-lease'] },
      { verbs: ['update', 'patch'], apiGroups: [''], resources: ['pods/status'] },
      { verbs: ['delete'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['create', 'update', 'patch'], apiGroups: ['', 'events.k8s.io'], resources: ['events'] },
      { verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts/token'] },
    ],
    nonResource: [PUBLIC_INFO],
  },
  proxy: {
    rules: [
      { verbs: READ, apiGroups: [''], resources: ['services', 'nodes', 'pods', 'endpoints'] },
      { verbs: READ, apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'] },
      { verbs: ['create', 'update', 'patch'], apiGroups: ['', 'events.k8s.io'], resources: ['events'] },
    ],
    nonResource: [PUBLIC_INFO],
  },
  dns: {
    rules: [
      { verbs: READ, apiGroups: [''], resources: ['services', 'nodes', 'pods', 'endpoints', 'namespaces'] },
      { verbs: READ, apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'] },
    ],
    nonResource: [PUBLIC_INFO],
  },
  viewer: { rules: [{ verbs: READ, apiGroups: ['*'], resources: ['*'] }], nonResource: [PUBLIC_INFO] },
  discovery: { rules: [], nonResource: [PUBLIC_INFO] },
};

/** Built-in bindings: by group, and the service accounts of the add-ons. */
export const GROUP_BINDINGS: Record<string, RoleName> = {
  'system:masters': 'admin',
  'system:nodes': 'node',
  'sextant:proxies': 'proxy',
  'sextant:dns': 'dns',
  'sextant:viewers': 'viewer',
  'system:authenticated': 'discovery',
};

export const USER_BINDINGS: Record<string, RoleName> = {
  'system:kube-proxy': 'proxy',
  'system:serviceaccount:kube-system:kube-proxy': 'proxy',
  'system:serviceaccount:kube-system:coredns': 'dns',
  'system:serviceaccount:kube-system:kube-dns': 'dns',
};

/** The roles a user holds. */
export function rolesOf(user: UserInfo): RoleName[] {
  const out = new Set<RoleName>();
  const byUser = USER_BINDINGS[user.name];
  if (byUser) out.add(byUser);
  for (const g of user.groups) {
    const r = GROUP_BINDINGS[g];
    if (r) out.add(r);
  }
  if (/^system:node:[^:]+$/.test(user.name) && user.groups.includes('system:nodes')) out.add('node');
  return [...out];
}

/** The node name of a node identity (`system:node:<name>` in `system:nodes`), else undefined. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes('system:nodes')) return undefined;
  const m = /^system:node:([^:]+)$/.exec(user.name);
  return m?.[1];
}
