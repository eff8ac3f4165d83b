import type { KindInfo } from '../../api/kinds.js';

/** Kubernetes' OpenAPI component prefix of meta.k8s.io types. */
export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/**
 * The Go-package style component name Kubernetes uses for a kind (`io.k8s.api.core.v1.Service`,
 * `io.k8s.api.apps.v1.Deployment`, `io.k8s.api.discovery.v1.EndpointSlice`); kubectl explain
 * prints the kind from its `x-kubernetes-group-version-kind`, so only uniqueness matters, but
 * matching upstream keeps documents familiar.
 */
export const apiPackage = (group: string, version: string): string =>
  `io.k8s.api.${group === '' ? 'core' : (group.split('.')[0] as string)}.${version}`;

export const componentName = (kind: Pick<KindInfo, 'group' | 'version' | 'kind'>): string => `${apiPackage(kind.group, kind.version)}.${kind.kind}`;

/** `api/v1` for the core group, `apis/<group>/<version>` otherwise: the OpenAPI v3 root keys. */
export const groupVersionPath = (group: string, version: string): string => (group === '' ? `api/${version}` : `apis/${group}/${version}`);

/** `CoreV1`, `AppsV1`, `DiscoveryV1`: the operationId infix upstream uses. */
export const operationInfix = (group: string, version: string): string => {
  const g = group === '' ? 'core' : (group.split('.')[0] as string);
  return `${g[0]?.toUpperCase() ?? ''}${g.slice(1)}${version[0]?.toUpperCase() ?? ''}${version.slice(1)}`;
};
