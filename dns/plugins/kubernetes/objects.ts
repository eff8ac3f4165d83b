/**
 * The Kubernetes object shapes the record index reads, with exactly Kubernetes' JSON field names.
 * They are the subset of controller/api's Service, EndpointSlice and Pod that DNS needs, so objects
 * from the informer (or a fixture) are accepted as they are.
 */

export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  resourceVersion?: string;
}

export interface ServicePortLike {
  name?: string;
  protocol?: string;
  port: number;
}

export interface ServiceLike {
  metadata: ObjectMetaLike;
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    externalIPs?: string[];
    ports?: ServicePortLike[];
    publishNotReadyAddresses?: boolean;
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface EndpointLike {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string };
}

export interface EndpointSliceLike {
  metadata: ObjectMetaLike;
  addressType: string;
  endpoints?: EndpointLike[] | null;
  ports?: { name?: string; protocol?: string; port?: number }[] | null;
}

export interface PodLike {
  metadata: ObjectMetaLike;
  status?: { podIP?: string; podIPs?: { ip: string }[]; phase?: string };
}

/** The label an EndpointSlice carries to name its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export const objectKey = (m: ObjectMetaLike): string => `${m.namespace ?? ''}/${m.name ?? ''}`;

/**
 * Copies of the watched objects with only the fields DNS reads (the informers' transform, as
 * client-go's SetTransform): the informer cache and the index then hold these instead of whole
 * objects (managedFields, annotations, status conditions, topology hints, ...).
 */
const slimMeta = (m: ObjectMetaLike, labels: boolean): ObjectMetaLike => ({
  name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion,
  ...(labels && m.labels?.[SERVICE_NAME_LABEL] !== undefined ? { labels: { [SERVICE_NAME_LABEL]: m.labels[SERVICE_NAME_LABEL] } } : {}),
});

export function slimService(s: ServiceLike): ServiceLike {
  const sp = s.spec;
  const ingress = s.status?.loadBalancer?.ingress;
  return {
    metadata: slimMeta(s.metadata, false),
    ...(sp ? {
      spec: {
        type: sp.type, clusterIP: sp.clusterIP, clusterIPs: sp.clusterIPs, externalName: sp.externalName, externalIPs: sp.externalIPs,
        ports: sp.ports?.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port })), publishNotReadyAddresses: sp.publishNotReadyAddresses,
      },
    } : {}),
    ...(ingress ? { status: { loadBalancer: { ingress: ingress.map((i) => ({ ip: i.ip, hostname: i.hostname })) } } } : {}),
  };
}

export function slimSlice(s: EndpointSliceLike): EndpointSliceLike {
  return {
    metadata: slimMeta(s.metadata, true), addressType: s.addressType,
    endpoints: s.endpoints?.map((e) => ({
      addresses: e.addresses, conditions: { ready: e.conditions?.ready }, hostname: e.hostname,
      ...(e.targetRef ? { targetRef: { kind: e.targetRef.kind, name: e.targetRef.name } } : {}),
    })) ?? null,
    ports: s.ports?.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port })) ?? null,
  };
}

export function slimPod(p: PodLike): PodLike {
  return { metadata: slimMeta(p.metadata, false), status: { podIP: p.status?.podIP, podIPs: p.status?.podIPs?.map((x) => ({ ip: x.ip })) } };
}
