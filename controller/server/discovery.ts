/**
 * Discovery documents built from the kinds registry: aggregated discovery v2 (what kubectl 1.32
 * asks for first, two requests for everything) and the legacy APIVersions / APIGroupList /
 * APIGroup / APIResourceList documents. Pure: the handler picks the document and Content-Type.
 */
import type { KindInfo, Subresource } from '../api/kinds.js';

interface GroupKind {
  group: string;
  version: string;
  kind: string;
}

const subresourceFacts: Record<Subresource, (k: KindInfo) => { responseKind: GroupKind; verbs: string[] }> = {
  status: (k) => ({ responseKind: { group: k.group, version: k.version, kind: k.kind }, verbs: ['get', 'patch', 'update'] }),
  scale: () => ({ responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] }),
  binding: () => ({ responseKind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] }),
  log: (k) => ({ responseKind: { group: k.group, version: k.version, kind: k.kind }, verbs: ['get'] }),
};

/** The group-versions served, core (`''`) first, each with its kinds. */
export function groupVersions(kinds: readonly KindInfo[]): { group: string; version: string; kinds: KindInfo[] }[] {
  const out: { group: string; version: string; kinds: KindInfo[] }[] = [];
  for (const k of kinds) {
    let gv = out.find((g) => g.group === k.group && g.version === k.version);
    if (!gv) out.push((gv = { group: k.group, version: k.version, kinds: [] }));
    gv.kinds.push(k);
  }
  return out.sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : 0));
}

const gvString = (group: string, version: string) => (group ? `${group}/${version}` : version);

/** `apidiscovery.k8s.io/v2` APIGroupDiscoveryList for `/api` (core) or `/apis` (named groups). */
export function aggregatedDiscovery(kinds: readonly KindInfo[], root: 'api' | 'apis') {
  const gvs = groupVersions(kinds).filter((g) => (root === 'api' ? g.group === '' : g.group !== ''));
  const groups = [...new Set(gvs.map((g) => g.group))];
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((group) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: gvs
        .filter((g) => g.group === group)
        .map((g) => ({
          version: g.version,
          freshness: 'Current',
          resources: g.kinds.map((k) => ({
            resource: k.resource,
            responseKind: { group: k.group, version: k.version, kind: k.kind },
            scope: k.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: k.singular,
            verbs: [...k.verbs],
            ...(k.shortNames.length ? { shortNames: [...k.shortNames] } : {}),
            ...(k.categories.length ? { categories: [...k.categories] } : {}),
            ...(k.subresources.length
              ? { subresources: k.subresources.map((s) => ({ subresource: s, ...subresourceFacts[s](k) })) }
              : {}),
          })),
        })),
    })),
  };
}

/** Legacy `/api`: the core versions. */
export function apiVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(kinds: readonly KindInfo[], group: string) {
  const versions = groupVersions(kinds)
    .filter((g) => g.group === group)
    .map((g) => ({ groupVersion: gvString(group, g.version), version: g.version }));
  return { name: group, versions, preferredVersion: versions[0]! };
}

/** Legacy `/apis`: every named group. */
export function apiGroupList(kinds: readonly KindInfo[]) {
  const groups = [...new Set(kinds.map((k) => k.group).filter((g) => g !== ''))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => apiGroup(kinds, g)) };
}

/** Legacy `/apis/<group>`, or null when the group is not served. */
export function apiGroupDocument(kinds: readonly KindInfo[], group: string) {
  if (!kinds.some((k) => k.group === group)) return null;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(kinds, group) };
}

/** Legacy `/api/v1`, `/apis/<group>/<version>`, or null when not served. */
export function apiResourceList(kinds: readonly KindInfo[], group: string, version: string) {
  const ks = kinds.filter((k) => k.group === group && k.version === version);
  if (ks.length === 0) return null;
  const resources: Record<string, unknown>[] = [];
  for (const k of ks) {
    resources.push({
      name: k.resource,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: [...k.verbs],
      ...(k.shortNames.length ? { shortNames: [...k.shortNames] } : {}),
      ...(k.categories.length ? { categories: [...k.categories] } : {}),
    });
    for (const s of k.subresources) {
      const f = subresourceFacts[s](k);
      resources.push({
        name: `${k.resource}/${s}`,
        singularName: '',
        namespaced: k.namespaced,
        ...(f.responseKind.group !== k.group ? { group: f.responseKind.group, version: f.responseKind.version } : {}),
        kind: f.responseKind.kind,
        verbs: f.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gvString(group, version), resources };
}
