/**
 * The parts of Service, EndpointSlice and Node the proxy reads, with Kubernetes JSON field names.
 * Declared structurally (every field optional) so that the full kinds from `controller/api` — or
 * objects straight from a real kube-apiserver — are assignable to them; the core never depends on
 * more than it reads.
 */
export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  deletionTimestamp?: string;
}

export interface ServicePortLike {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceLike {
  metadata: ObjectMetaLike;
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    ports?: ServicePortLike[];
    externalIPs?: string[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    externalTrafficPolicy?: string;
    internalTrafficPolicy?: string;
    healthCheckNodePort?: number;
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface EndpointLike {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  nodeName?: string;
  zone?: string;
}

export interface EndpointPortLike {
  name?: string;
  protocol?: string;
  port?: number;
}

export interface EndpointSliceLike {
  metadata: ObjectMetaLike;
  addressType: string;
  endpoints?: EndpointLike[];
  ports?: EndpointPortLike[];
}

export interface NodeLike {
  metadata: ObjectMetaLike;
  status?: { addresses?: { type: string; address: string }[] };
}

/** The label an EndpointSlice carries naming the Service it belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
