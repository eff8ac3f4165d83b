/**
 * The authorizer `sextant server` plugs into the API server's seam: a request is allowed when one
 * rule of one role the user holds covers its verb, API group, resource (with subresource) and
 * namespace. Denials read as Kubernetes words them, so kubectl prints a familiar message.
 */
import type { Authorizer, UserInfo } from '../server/identity.js';
import type { RequestInfo, ResourceRequest } from '../server/request-info.js';
import { ROLES, rolesOf, type NonResourceRule, type ResourceRule } from './roles.js';

const has = (list: readonly string[], v: string) => list.includes('*') || list.includes(v);

/** The RBAC resource of a request: `pods`, `pods/status`; the bindings resource is `pods/binding`. */
export function rbacResource(info: ResourceRequest): string {
  if (info.group === '' && info.resource === 'bindings') return 'pods/binding';
  return info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
}

export function ruleAllows(rule: ResourceRule, info: ResourceRequest): boolean {
  if (!has(rule.verbs, info.verb) || !has(rule.apiGroups, info.group)) return false;
  const res = rbacResource(info);
  if (!has(rule.resources, res)) return false;
  if (rule.namespaces && (info.namespace === undefined || !rule.namespaces.includes(info.namespace))) return false;
  return true;
}

const pathMatches = (rule: NonResourceRule, path: string) =>
  rule.paths.some((p) => p === '*' || p === path || (p.endsWith('*') && path.startsWith(p.slice(0, -1))));

/** The path a non-resource request addresses (discovery documents included). */
function pathOf(info: Exclude<RequestInfo, ResourceRequest>): string {
  switch (info.kind) {
    case 'discovery-root':
      return `/${info.root}`;
    case 'discovery-group':
      return `/apis/${info.group}`;
    case 'discovery-version':
      return info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
    case 'other':
      return info.path.replace(/\/+$/, '') || '/';
  }
}

export function denialReason(user: UserInfo, info: RequestInfo): string {
  if (info.kind !== 'resource') return `forbidden: User "${user.name}" cannot get path "${pathOf(info)}"`;
  const scope = info.namespace !== undefined ? `in the namespace "${info.namespace}"` : 'at the cluster scope';
  const name = info.name ? ` "${info.name}"` : '';
  return `${info.resource}${name} is forbidden: User "${user.name}" cannot ${info.verb} resource "${rbacResource(info)}" in API group "${info.group}" ${scope}`;
}

/** True when `user` may make the request; else the reason (→ 403 Forbidden). */
export function authorize(user: UserInfo, info: RequestInfo): true | string {
  const roles = rolesOf(user).map((r) => ROLES[r]);
  if (info.kind === 'resource') {
    if (roles.some((r) => r.rules.some((rule) => ruleAllows(rule, info)))) return true;
  } else {
    const path = pathOf(info);
    if (roles.some((r) => r.nonResource.some((rule) => has(rule.verbs, 'get') && pathMatches(rule, path)))) return true;
  }
  return denialReason(user, info);
}

/** Anonymous callers reach only the public paths (the authenticator already 401s the rest). */
export const staticAuthorizer: Authorizer = (user, info) => {
  if (user.name === 'system:anonymous') {
    if (info.kind === 'other' && /^\/(healthz|livez|readyz|version)(\/[\w-]+)?\/?$/.test(info.path)) return true;
    return denialReason(user, info);
  }
  return authorize(user, info);
};
