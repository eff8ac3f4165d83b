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
